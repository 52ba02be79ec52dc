import { dataPath, findStuck, judge, Snapshot } from './final-check';
import { SoakVolume } from './soak-model';

const DIR = '/soak';
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const DEST = '33333333-3333-4333-8333-333333333333';

const row = (id: string, host: string | null, extra: Partial<Snapshot['volumes'][number]> = {}) => ({
  id,
  status: 'available',
  attach_status: 'detached',
  migration_status: null,
  host,
  name_id: null,
  ...extra,
});
const soakVolume = (id: string, extra: Partial<SoakVolume> = {}): SoakVolume => ({
  id,
  sha256: 'abc',
  state: 'available',
  serverId: null,
  host: null,
  busy: false,
  deleteAccepted: false,
  ...extra,
});
const empty: Snapshot = { volumes: [], activeMigrations: [], attachments: [], devices: [], activeSwaps: [], files: [] };

describe('where a volume row says its data is', () => {
  it('when the volume was migrated (name_id set), then the file is named after name_id, in the pool of its host', () => {
    expect(dataPath(DIR, row(A, 'host-b@file#pool2', { name_id: DEST }))).toBe(`/soak/host-b/pool2/volume-${DEST}`);
  });

  it('when the volume was never placed, then it has no data path', () => {
    expect(dataPath(DIR, row(A, null))).toBeNull();
  });
});

describe('what is stuck after the soak', () => {
  it('when everything is at rest, then nothing is stuck', () => {
    expect(findStuck({ ...empty, volumes: [row(A, 'host-a@file#pool1', { migration_status: 'success' })] })).toEqual([]);
  });

  it('when a volume, a migration, a destination row, an attachment or a swap is still under way, then each is named', () => {
    const stuck = findStuck({
      ...empty,
      volumes: [row(A, 'host-a@file#pool1', { status: 'maintenance', migration_status: 'migrating' }), row(DEST, 'host-b@file#pool1', { migration_status: `target:${A}` })],
      activeMigrations: [{ id: 'm1', volume_id: A, status: 'migrating' }],
      attachments: [{ id: 'a1', volume_id: B, attach_status: 'reserved' }],
      activeSwaps: [{ id: 's1', old_volume_id: B, phase: 'mirroring' }],
    });
    expect(stuck).toEqual([
      `volume ${A} status maintenance`,
      `volume ${A} migration_status migrating`,
      `volume ${DEST} migration_status target:${A}`,
      `migration m1 of volume ${A} migrating`,
      `attachment a1 of volume ${B} reserved`,
      `swap s1 of volume ${B} mirroring`,
    ]);
  });
});

describe('judging the data, the devices and the pools', () => {
  it('when every row has its file and every file its row, then the volumes are hashed and nothing else is found', () => {
    const j = judge(
      { ...empty, volumes: [row(A, 'host-a@file#pool1', { name_id: DEST })], files: [{ host: 'host-a', pool: 'pool1', name: `volume-${DEST}` }] },
      DIR,
      [soakVolume(A)],
    );
    expect(j).toEqual({ missing: [], checks: [{ id: A, path: `/soak/host-a/pool1/volume-${DEST}`, sha256: 'abc' }], misattached: [], orphans: [] });
  });

  it('when a volume the soak never deleted has lost its row or its file, then it is missing (once, not also an orphan)', () => {
    const j = judge({ ...empty, volumes: [row(B, 'host-a@file#pool1')] }, DIR, [soakVolume(A), soakVolume(B)]);
    expect(j.missing).toEqual([`volume ${A}: its row is gone, and the soak never deleted it`, `volume ${B}: no data at /soak/host-a/pool1/volume-${B}`]);
    expect(j.orphans).toEqual([]);
  });

  it('when the soak deleted a volume or never wrote it, then its data is not judged', () => {
    const j = judge(empty, DIR, [soakVolume(A, { deleteAccepted: true }), soakVolume(B, { sha256: null })]);
    expect(j).toEqual({ missing: [], checks: [], misattached: [], orphans: [] });
  });

  it('when a file belongs to no row, or a row (not failed) names no file, then both are orphans', () => {
    const j = judge(
      {
        ...empty,
        volumes: [row(DEST, 'host-b@file#pool1', { status: 'deleting', migration_status: 'deleting' }), row(B, 'host-a@file#pool2', { status: 'error' })],
        files: [{ host: 'host-a', pool: 'pool1', name: `volume-${A}.moving` }],
      },
      DIR,
      [],
    );
    expect(j.orphans).toEqual([
      `row ${DEST} (deleting, deleting) names /soak/host-b/pool1/volume-${DEST}, which is not there`,
      `file /soak/host-a/pool1/volume-${A}.moving belongs to no volume`,
    ]);
  });

  it("when a guest's device is not the file the volume's row names, then it is misattached", () => {
    const j = judge(
      {
        ...empty,
        volumes: [row(A, 'host-b@file#pool1', { status: 'in-use', name_id: DEST })],
        devices: [{ id: 'd1', server_id: 's1', volume_id: A, path: `/soak/host-a/pool1/volume-${A}` }],
        files: [{ host: 'host-b', pool: 'pool1', name: `volume-${DEST}` }],
      },
      DIR,
      [],
    );
    expect(j.misattached).toEqual([`server s1 device d1 of volume ${A} is /soak/host-a/pool1/volume-${A}, the volume's data is /soak/host-b/pool1/volume-${DEST}`]);
  });
});
