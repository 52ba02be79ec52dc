import { migrateVolumeSchema, migrateVolumeV316Schema, resetStatusSchema } from './admin-action-schemas';
import { createAttachmentSchema, createAttachmentV354Schema } from './attachment-schemas';
import { schemaFor } from './schema-for';
import {
  createVolumeSchema,
  createVolumeV313Schema,
  createVolumeV347Schema,
  createVolumeV353Schema,
  updateVolumeSchema,
  updateVolumeV353Schema,
} from './volume-schemas';

describe('schemaFor picks the schema of the microversion range, comparing versions numerically', () => {
  it.each([
    ['3.0', createVolumeSchema],
    ['3.12', createVolumeSchema],
    ['3.13', createVolumeV313Schema],
    ['3.46', createVolumeV313Schema],
    ['3.47', createVolumeV347Schema],
    ['3.52', createVolumeV347Schema],
    ['3.53', createVolumeV353Schema],
    ['3.71', createVolumeV353Schema],
  ])('volume create at %s', (version, schema) => {
    expect(schemaFor('volume.create', version)).toBe(schema);
  });

  it('volume update gains the at-least-one-key rule at 3.53', () => {
    expect(schemaFor('volume.update', '3.52')).toBe(updateVolumeSchema);
    expect(schemaFor('volume.update', '3.53')).toBe(updateVolumeV353Schema);
  });

  it('os-migrate_volume accepts cluster from 3.16', () => {
    expect(schemaFor('volume.os-migrate_volume', '3.15')).toBe(migrateVolumeSchema);
    expect(schemaFor('volume.os-migrate_volume', '3.16')).toBe(migrateVolumeV316Schema);
  });

  it('os-reset_status has one schema at every version', () => {
    expect(schemaFor('volume.os-reset_status', '3.0')).toBe(resetStatusSchema);
    expect(schemaFor('volume.os-reset_status', '3.71')).toBe(resetStatusSchema);
  });

  it('attachment create exists from 3.27 and takes a mode from 3.54', () => {
    expect(schemaFor('attachment.create', '3.26')).toBeUndefined();
    expect(schemaFor('attachment.create', '3.27')).toBe(createAttachmentSchema);
    expect(schemaFor('attachment.create', '3.53')).toBe(createAttachmentSchema);
    expect(schemaFor('attachment.create', '3.54')).toBe(createAttachmentV354Schema);
  });

  it('refuses a version that is not MAJOR.MINOR', () => {
    expect(() => schemaFor('volume.create', 'latest')).toThrow("API Version String latest is of invalid format");
  });
});
