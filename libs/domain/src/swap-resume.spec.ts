import { InterruptedSwap, swapResumeRefusal } from './swap-resume';

const resumable: InterruptedSwap = {
  oldVolumeId: 'old',
  newVolumeId: 'new',
  guestOpen: true,
  oldMigrationStatus: 'migrating',
  newMigrationStatus: 'target:old',
};

describe('swapResumeRefusal', () => {
  it('when the migration is under way, its destination still its target and the guest open, then the swap resumes', () => {
    expect(swapResumeRefusal(resumable)).toBeNull();
  });

  it.each<[string, Partial<InterruptedSwap>, RegExp]>([
    ['the guest disk did not open', { guestOpen: false }, /guest disk is not open/],
    ['an admin reset the migration', { oldMigrationStatus: 'error' }, /volume old is no longer migrating \(migration_status error\)/],
    ['the migration ended and was cleared', { oldMigrationStatus: null }, /no longer migrating \(migration_status not shown\)/],
    ['migration_status is not shown to the caller', { oldMigrationStatus: undefined }, /no longer migrating/],
    ['the destination volume is gone', { newMigrationStatus: null }, /destination volume new is gone/],
    ['the destination serves another migration', { newMigrationStatus: 'target:other' }, /new is no longer the destination of old/],
    ['the destination is a plain volume now', { newMigrationStatus: 'success' }, /no longer the destination/],
  ])('when %s, then it is rolled back', (_what, change, reason) => {
    expect(swapResumeRefusal({ ...resumable, ...change })).toMatch(reason);
  });
});
