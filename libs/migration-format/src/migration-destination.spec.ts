import { isMigrationDestination } from './migration-destination';

describe('isMigrationDestination', () => {
  it.each([
    [{ migration_status: 'target:faaeb890-5a16-4b54-8ed9-8348b817b322' }, true],
    [{ migration_status: 'migrating' }, false],
    [{ migration_status: 'success' }, false],
    [{ migration_status: null }, false],
    [{}, false],
  ])('when the volume is %j, then it is a migration destination: %s', (volume, expected) => {
    expect(isMigrationDestination(volume)).toBe(expected);
  });
});
