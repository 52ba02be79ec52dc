import { migrationMode, MigrationModeInput } from './migration-mode';

const base: MigrationModeInput = {
  sourceHost: 'host-a@file#pool1',
  destPoolHost: 'host-a@file#pool2',
  forceHostCopy: false,
  status: 'available',
  previousStatus: 'available',
};

describe('migrationMode (Cinder migrate_volume: driver or generic)', () => {
  it('when the destination is another pool of the same host, nothing forces a copy and the volume is detached, then the driver moves it', () => {
    expect(migrationMode(base)).toBe('driver-assisted');
  });

  it('when the volume is locked (maintenance) for the migration, then the driver still moves it', () => {
    expect(migrationMode({ ...base, status: 'maintenance' })).toBe('driver-assisted');
  });

  it.each([
    ['another host', { destPoolHost: 'host-b@file#pool1' }],
    ['a forced host copy', { forceHostCopy: true }],
    ['an in-use volume on the same host', { status: 'in-use', previousStatus: 'in-use' }],
    ['a volume that was in-use when the migration began', { status: 'maintenance', previousStatus: 'in-use' }],
    ['an in-use volume without previous_status', { status: 'in-use', previousStatus: null }],
  ])('when the migration has %s, then it is host-assisted', (_what, change) => {
    expect(migrationMode({ ...base, ...change })).toBe('host-assisted');
  });
});
