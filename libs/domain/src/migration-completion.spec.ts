import { refusal } from '../test/refusal';
import { ErrorCode } from './errors';
import { checkMigrationCompletion } from './migration-completion';

const invalidVolume = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.InvalidVolume, message);
const NEW = '9b2f6a3c-1d4e-4f5a-8b6c-7d8e9f0a1b2c';
const OLD = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';

describe('os-migrate_volume_completion checks (Cinder volume API order)', () => {
  it('when neither volume has a migration_status, then it is a plain swap', () => {
    expect(checkMigrationCompletion({ id: OLD, migrationStatus: null }, { id: NEW, migrationStatus: null })).toBe('plain-swap');
    expect(checkMigrationCompletion({ id: OLD, migrationStatus: '' }, { id: NEW, migrationStatus: null })).toBe('plain-swap');
  });

  it('when only the destination migrates, then the source is not mid-migration', () => {
    expect(() => checkMigrationCompletion({ id: OLD, migrationStatus: null }, { id: NEW, migrationStatus: `target:${OLD}` })).toThrow(
      invalidVolume('Invalid volume: Source volume not mid-migration.'),
    );
  });

  it('when only the source migrates, then the destination is not mid-migration', () => {
    expect(() => checkMigrationCompletion({ id: OLD, migrationStatus: 'migrating' }, { id: NEW, migrationStatus: null })).toThrow(
      invalidVolume('Invalid volume: Destination volume not mid-migration.'),
    );
  });

  it('when the destination is the target of another volume, then the expected status is named', () => {
    expect(() =>
      checkMigrationCompletion({ id: OLD, migrationStatus: 'migrating' }, { id: NEW, migrationStatus: 'target:someone-else' }),
    ).toThrow(invalidVolume(`Invalid volume: Destination has migration_status target:someone-else, expected target:${OLD}.`));
  });

  it('when the destination is this volume\'s target, then the migration completes', () => {
    expect(checkMigrationCompletion({ id: OLD, migrationStatus: 'migrating' }, { id: NEW, migrationStatus: `target:${OLD}` })).toBe(
      'migration',
    );
  });
});
