import { ErrorCode } from './errors';
import { refusal } from '../test/refusal';
import { checkReservable, type ReservableVolume, volumeAfterDetach } from './volume-attaching';

describe('checkReservable', () => {
  const volume: ReservableVolume = { id: 'v1', status: 'available', multiattach: false, migrationStatus: null };
  const single = refusal(ErrorCode.InvalidVolume, 'Invalid volume: Volume v1 status must be available or downloading');
  const multi = refusal(ErrorCode.InvalidVolume, 'Invalid volume: Volume v1 status must be available or in-use or downloading');

  it('when the volume is available and not migrating, then an attachment may reserve it', () => {
    expect(() => checkReservable(volume)).not.toThrow();
    for (const migrationStatus of ['success', 'error', 'deleting']) {
      expect(() => checkReservable({ ...volume, migrationStatus })).not.toThrow();
    }
  });

  it.each(['in-use', 'reserved', 'attaching', 'maintenance', 'creating'])('when a single-attach volume is %s, then it is refused', (status) => {
    expect(() => checkReservable({ ...volume, status })).toThrow(single);
  });

  it('when a multiattach volume is in use or reserved, then another attachment may reserve it', () => {
    for (const status of ['available', 'in-use', 'reserved']) {
      expect(() => checkReservable({ ...volume, multiattach: true, status })).not.toThrow();
    }
    expect(() => checkReservable({ ...volume, multiattach: true, status: 'detaching' })).toThrow(multi);
  });

  it.each(['starting', 'migrating', 'completing'])('when the volume migrates (%s), then it is refused', (migrationStatus) => {
    expect(() => checkReservable({ ...volume, migrationStatus })).toThrow(single);
    expect(() => checkReservable({ ...volume, multiattach: true, status: 'in-use', migrationStatus })).toThrow(multi);
  });

  it("when the volume is a migration's destination, then the compute side may reserve it", () => {
    expect(() => checkReservable({ ...volume, migrationStatus: 'target:src-1' })).not.toThrow();
  });
});

describe('volumeAfterDetach', () => {
  const inUse = { status: 'in-use', migrationStatus: null };

  it('when an attachment is still attached, then the volume stays in-use and attached', () => {
    expect(volumeAfterDetach(inUse, [{ attachStatus: 'attached' }, { attachStatus: 'reserved' }])).toEqual({
      status: 'in-use',
      attachStatus: 'attached',
    });
  });

  it('when only attachments being made remain, then the volume is reserved and detached', () => {
    expect(volumeAfterDetach(inUse, [{ attachStatus: 'attaching' }])).toEqual({ status: 'reserved', attachStatus: 'detached' });
  });

  it.each([null, 'success', 'error'])('when the last one goes and migration_status is %j, then the volume is available', (migrationStatus) => {
    expect(volumeAfterDetach({ status: 'in-use', migrationStatus }, [])).toEqual({ status: 'available', attachStatus: 'detached' });
  });

  it.each(['starting', 'migrating', 'completing', 'deleting', 'target:src-1'])(
    'when the last one goes while migration_status is %s, then the status stays (Cinder hides the detach)',
    (migrationStatus) => {
      expect(volumeAfterDetach({ status: 'in-use', migrationStatus }, [])).toEqual({ status: 'in-use', attachStatus: 'detached' });
    },
  );
});
