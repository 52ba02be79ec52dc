import pino from 'pino';
import { DataSource } from 'typeorm';
import { ComputeSwapEntity } from '@volume/persistence/compute-host';
import { noauthServiceIdentity } from './api-identity';
import { Guest, Mirror } from './guest';
import type { MirrorStats } from './mirror/device-mirror';
import { SwapContext, SwapRun } from './swap-run';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

/** The service identity the swap acts as. */
const AS = noauthServiceIdentity('nova').forProject('project-1');

/** Records every statement; UPDATEs report one row changed. `outages`: so many writes fail first as PostgreSQL away would. */
function fakeDataSource(migrationBandwidth: number | null = null, outages = 0) {
  const queries: string[] = [];
  let down = outages;
  const away = () => {
    if (down-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  };
  const em = {
    query: async (sql: string) => {
      queries.push(sql.replace(/\s+/g, ' '));
      return [[], 1];
    },
  };
  const ds = {
    // The only read of a swap: its migration's own bandwidth limit.
    query: async () => [{ bandwidth_limit: migrationBandwidth === null ? null : String(migrationBandwidth) }],
    transaction: async (fn: (e: typeof em) => Promise<unknown>) => {
      away();
      return fn(em);
    },
    getRepository: () => ({
      update: async (_where: unknown, changes: object) => {
        away();
        queries.push(`swap ${JSON.stringify(changes)}`);
      },
    }),
  };
  return { ds: ds as unknown as DataSource, queries };
}

function fakeVolumeApi() {
  return {
    connectAttachment: jest.fn(async () => '/data/target'),
    completeAttachment: jest.fn(async () => undefined),
    deleteAttachment: jest.fn(async () => undefined),
    rollDetaching: jest.fn(async () => undefined),
    migrateVolumeCompletion: jest.fn(async (_as: unknown, old: string, _new: string, _error: boolean) => old),
    getVolume: jest.fn(async (_as: unknown, id: string): Promise<{ id: string; size: number; status: string; migration_status: string | null; attachments: [] }> =>
      id === 'old'
        ? { id, size: 1, status: 'in-use', migration_status: 'migrating', attachments: [] }
        : { id, size: 1, status: 'available', migration_status: 'target:old', attachments: [] },
    ),
  };
}

class FakeMirror implements Mirror {
  stat: MirrorStats = { cur: 0, written: 0, end: 100, dirtyBytes: 100, inFlightBytes: 0, passes: 0, mode: 'background', state: 'copying' };
  cancelled?: string;
  pivots = 0;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  readonly ready = new Promise<void>((resolve, reject) => {
    this.resolveReady = resolve;
    this.rejectReady = reject;
  });
  converge(): void {
    this.stat = { ...this.stat, cur: 100, end: 100, dirtyBytes: 0 };
    this.resolveReady();
  }
  failWith(err: Error): void {
    this.rejectReady(err);
  }
  stats(): MirrorStats {
    return this.stat;
  }
  async pivot(commit: () => Promise<void>): Promise<boolean> {
    this.pivots++;
    await commit();
    return true;
  }
  async cancel(reason: string): Promise<void> {
    this.cancelled = reason;
  }
  bandwidths: number[] = [];
  setBandwidth(bytesPerSecond: number): void {
    this.bandwidths.push(bytesPerSecond);
  }
}

function swapRow(phase: ComputeSwapEntity['phase'] = 'accepted', targetPath = phase === 'completing' ? '/data/target' : null): ComputeSwapEntity {
  const now = new Date();
  return {
    id: 'swap-1',
    serverId: 'server-1',
    deviceId: 'device-1',
    migrationId: 'migration-1',
    oldVolumeId: 'old',
    newVolumeId: 'new',
    oldAttachmentId: 'att-old',
    newAttachmentId: 'att-new',
    sourcePath: '/data/source',
    targetPath,
    phase,
    progress: null,
    cur: null,
    end: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

interface SetupOptions {
  stallTimeoutMs?: number;
  phase?: ComputeSwapEntity['phase'];
  targetPath?: string | null;
  guestOpen?: boolean;
  /** SWAP_COPY_BPS_LIMIT, and the migration's own limit (3.73). */
  hostLimit?: number;
  migrationBandwidth?: number | null;
  /** Writes that fail first with the database away. */
  outages?: number;
}

function setup(opts: SetupOptions = {}) {
  const { ds, queries } = fakeDataSource(opts.migrationBandwidth, opts.outages);
  const api = fakeVolumeApi();
  const mirror = new FakeMirror();
  const guest = { startMirror: jest.fn(() => mirror) } as unknown as Guest;
  const ctx: SwapContext = {
    ds,
    volumeApi: api as unknown as VolumeApiClient,
    host: 'compute-1',
    log: pino({ level: 'silent' }),
    stallTimeoutMs: opts.stallTimeoutMs ?? 60_000,
    tickMs: 10,
    copyBytesPerSecond: opts.hostLimit,
    databaseBackoff: { initialMs: 1, maxMs: 5, factor: 2 },
  };
  const run = new SwapRun(ctx, swapRow(opts.phase, opts.targetPath), AS, 'vdb', opts.guestOpen === false ? undefined : guest);
  return { run, api, mirror, queries, guest };
}

describe('SwapRun', () => {
  it.each([
    [undefined, null, 0],
    [8_000_000, null, 8_000_000],
    [8_000_000, 2_000_000, 2_000_000],
    [undefined, 2_000_000, 2_000_000],
  ])('when SWAP_COPY_BPS_LIMIT is %s and the migration asked for %s bytes/s, then the mirror copies at %d', async (hostLimit, migrationBandwidth, expected) => {
    const { run, mirror, guest } = setup({ hostLimit, migrationBandwidth });
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(guest.startMirror).toHaveBeenCalledWith('/data/target', { bytesPerSecond: expected, resync: false });
    mirror.converge();
    await run.done;
  });

  it('when an admin sets the bandwidth mid-copy, then the mirror takes the tighter of it and SWAP_COPY_BPS_LIMIT at once; past the pivot there is nothing to pace', async () => {
    const { run, mirror } = setup({ hostLimit: 8_000_000, migrationBandwidth: 2_000_000 });
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(run.setBandwidth(4_000_000)).toBe(true);
    expect(run.setBandwidth(50_000_000)).toBe(true);
    expect(run.setBandwidth(null)).toBe(true);
    expect(mirror.bandwidths).toEqual([4_000_000, 8_000_000, 8_000_000]);
    mirror.converge();
    await run.done;
    expect(run.setBandwidth(1_000)).toBe(false);
  });

  it('when a limit is set before the mirror starts, then the mirror starts under it rather than the recorded one', async () => {
    const { run, guest, mirror } = setup({ migrationBandwidth: 2_000_000, guestOpen: true });
    expect(run.setBandwidth(3_000_000)).toBe(true);
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(guest.startMirror).toHaveBeenCalledWith('/data/target', { bytesPerSecond: 3_000_000, resync: false });
    mirror.converge();
    await run.done;
  });

  it('when the mirror moves, then its progress carries a rate and a time left; a silent one is flagged stalled', async () => {
    const { run, mirror } = setup({ hostLimit: 0 });
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    for (let cur = 10; cur <= 40; cur += 10) {
      mirror.stat = { ...mirror.stat, cur, written: cur, end: 100 };
      run.progress();
      await new Promise((r) => setTimeout(r, 30));
    }
    const moving = run.progress().figures;
    expect(moving?.rateBytesPerSecond).toBeGreaterThan(0);
    expect(moving?.etaState).toBe('ready');
    expect(moving?.etaSeconds).toBeGreaterThan(0);
    expect(moving?.stalled).toBe(false);
    mirror.converge();
    await run.done;
    expect(run.progress().figures).toBeUndefined();

    const silent = setup();
    (silent.run as unknown as { ctx: SwapContext }).ctx.stallWarnMs = 10;
    silent.run.start();
    await new Promise((r) => setTimeout(r, 40));
    expect(silent.run.progress().figures).toMatchObject({ etaState: 'stalled', stalled: true, etaSeconds: null });
    silent.mirror.converge();
    await silent.run.done;
  });

  it('when the database is away for its writes before and at the pivot, then the swap waits for it and completes; nothing rolls back', async () => {
    const { run, api, mirror, queries } = setup({ outages: 6 });
    run.start();
    await new Promise((r) => setTimeout(r, 50));
    mirror.converge();
    await run.done;
    expect(mirror.pivots).toBe(1);
    expect(api.rollDetaching).not.toHaveBeenCalled();
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', false);
    expect(queries.some((q) => q.includes("SET phase = 'completing'"))).toBe(true);
  });

  it('when the mirror converges, then it pivots with the device switch as commit, then completes the attachment, deletes the old one and completes the migration', async () => {
    const { run, api, mirror, queries } = setup();
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(run.progress()).toMatchObject({ phase: 'copying', progress: '0', cur: 0, end: 100, completion: null, source: 'local' });
    mirror.converge();
    await run.done;
    expect(mirror.pivots).toBe(1);
    expect(queries.some((q) => q.startsWith('UPDATE compute_devices SET path = $2'))).toBe(true);
    expect(api.completeAttachment).toHaveBeenCalledWith(AS, 'att-new');
    expect(api.deleteAttachment).toHaveBeenCalledWith(AS, 'att-old');
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', false);
    expect(api.rollDetaching).not.toHaveBeenCalled();
    expect(run.phase).toBe('completed');
    expect(run.progress().progress).toBeNull();
  });

  it('when the completion fails after the pivot, then it is retried until it succeeds and never rolled back', async () => {
    const { run, api, mirror } = setup();
    api.migrateVolumeCompletion
      .mockRejectedValueOnce(new VolumeApiError(503, 'volume service down'))
      .mockRejectedValueOnce(new VolumeApiError(0, 'ECONNREFUSED'));
    run.start();
    mirror.converge();
    await run.done;
    expect(api.migrateVolumeCompletion).toHaveBeenCalledTimes(3);
    expect(api.migrateVolumeCompletion.mock.calls.every((c) => c[3] === false)).toBe(true);
    expect(api.rollDetaching).not.toHaveBeenCalled();
    expect(mirror.cancelled).toBeUndefined();
    expect(run.phase).toBe('completed');
  });

  it('when the mirror fails before the pivot, then it rolls back as Nova does: roll_detaching, delete the new attachment, completion with error', async () => {
    const { run, api, mirror } = setup();
    run.start();
    await new Promise((r) => setTimeout(r, 20));
    mirror.failWith(new Error('EIO: i/o error, write'));
    await run.done;
    expect(mirror.pivots).toBe(0);
    expect(api.rollDetaching).toHaveBeenCalledWith(AS, 'old');
    expect(api.deleteAttachment).toHaveBeenCalledWith(AS, 'att-new');
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', true);
    expect(api.completeAttachment).not.toHaveBeenCalled();
    expect(run.phase).toBe('failed');
    expect(run.row.error).toMatch(/EIO/);
  });

  it('when the copy makes no progress for the stall timeout, then it is cancelled and rolled back', async () => {
    const { run, api, mirror } = setup({ stallTimeoutMs: 100 });
    run.start();
    await run.done;
    expect(mirror.cancelled).toMatch(/no progress/);
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', true);
    expect(run.phase).toBe('failed');
  });

  it('when cancelled before the pivot, then the outcome is cancelled; after it, past-pivot', async () => {
    const before = setup();
    before.run.start();
    await new Promise((r) => setTimeout(r, 20));
    await expect(before.run.cancel('watchdog')).resolves.toEqual({ outcome: 'cancelled', phase: 'cancelled' });
    expect(before.api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', true);

    const after = setup();
    after.run.start();
    after.mirror.converge();
    await after.run.settled;
    await expect(after.run.cancel('watchdog')).resolves.toMatchObject({ outcome: 'past-pivot' });
    await after.run.done;
    expect(after.api.rollDetaching).not.toHaveBeenCalled();
  });

  it('when recovered past its pivot, then it finishes without mirroring again', async () => {
    const past = setup({ phase: 'completing' });
    past.run.recover();
    await past.run.done;
    expect(past.guest.startMirror).not.toHaveBeenCalled();
    expect(past.api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', false);
    expect(past.run.phase).toBe('completed');
  });

  it('when recovered mid-copy while its migration is under way, then it mirrors onto the same target again (resync), pivots and completes with success', async () => {
    const { run, api, mirror, guest } = setup({ phase: 'copying', targetPath: '/data/target' });
    run.recover();
    await new Promise((r) => setTimeout(r, 20));
    expect(api.connectAttachment).not.toHaveBeenCalled();
    expect(guest.startMirror).toHaveBeenCalledWith('/data/target', expect.objectContaining({ resync: true }));
    expect(run.progress()).toMatchObject({ phase: 'copying', completion: null });
    mirror.converge();
    await run.done;
    expect(mirror.pivots).toBe(1);
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', false);
    expect(api.rollDetaching).not.toHaveBeenCalled();
    expect(run.phase).toBe('completed');
  });

  it('when recovered before its target was connected, then it connects it and mirrors as a first copy (no resync)', async () => {
    const { run, api, mirror, guest } = setup({ phase: 'accepted' });
    run.recover();
    await new Promise((r) => setTimeout(r, 20));
    expect(api.connectAttachment).toHaveBeenCalledTimes(1);
    expect(guest.startMirror).toHaveBeenCalledWith('/data/target', expect.objectContaining({ resync: false }));
    mirror.converge();
    await run.done;
    expect(run.phase).toBe('completed');
  });

  it('when the volume API answers only after a while, then the resume waits for it', async () => {
    const { run, api, mirror } = setup({ phase: 'copying', targetPath: '/data/target' });
    api.getVolume.mockRejectedValueOnce(new VolumeApiError(0, 'ECONNREFUSED')).mockRejectedValueOnce(new VolumeApiError(503, 'starting'));
    run.recover();
    await new Promise((r) => setTimeout(r, 1_000));
    mirror.converge();
    await run.done;
    expect(run.phase).toBe('completed');
  });

  it.each<[string, Parameters<typeof setup>[0], (api: ReturnType<typeof fakeVolumeApi>) => void, RegExp]>([
    ['its volume is no longer migrating (reset, ended)', {}, (api) => api.getVolume.mockResolvedValueOnce({ id: 'old', size: 1, status: 'in-use', migration_status: 'error', attachments: [] }), /no longer migrating/],
    ['its destination volume is gone', {}, (api) => api.getVolume.mockImplementation(async (_as, id) => {
      if (id === 'new') throw new VolumeApiError(404, 'not found');
      return { id, size: 1, status: 'in-use', migration_status: 'migrating', attachments: [] };
    }), /destination volume new is gone/],
    ['the guest disk is not open', { guestOpen: false }, () => undefined, /guest disk is not open/],
  ])('when recovered before its pivot but %s, then it rolls back: the guest stays on the source', async (_what, opts, arrange, reason) => {
    const { run, api, guest } = setup({ phase: 'copying', targetPath: '/data/target', ...opts });
    arrange(api);
    run.recover();
    await run.done;
    expect(guest.startMirror).not.toHaveBeenCalled();
    expect(api.rollDetaching).toHaveBeenCalledWith(AS, 'old');
    expect(api.deleteAttachment).toHaveBeenCalledWith(AS, 'att-new');
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', true);
    expect(run.phase).toBe('failed');
    expect(run.row.error).toMatch(reason);
  });

  it('when cancelled while it resumes, then it rolls back as cancelled', async () => {
    const { run, api } = setup({ phase: 'copying', targetPath: '/data/target' });
    run.recover();
    await new Promise((r) => setTimeout(r, 20));
    await expect(run.cancel('watchdog')).resolves.toEqual({ outcome: 'cancelled', phase: 'cancelled' });
    expect(api.migrateVolumeCompletion).toHaveBeenCalledWith(AS, 'old', 'new', true);
  });

  it('when a completion already went through before a restart, then the refusal of the second one counts as done', async () => {
    const { run, api } = setup({ phase: 'completing' });
    api.migrateVolumeCompletion.mockRejectedValueOnce(new VolumeApiError(400, 'not migrating'));
    api.getVolume.mockResolvedValueOnce({ id: 'old', size: 1, status: 'in-use', migration_status: 'success', attachments: [] });
    run.recover();
    await run.done;
    expect(api.migrateVolumeCompletion).toHaveBeenCalledTimes(1);
    expect(run.phase).toBe('completed');
  });

  it('when asked while it completes the migration, then it stands behind a success past its pivot and an error only once its mirror is stopped', async () => {
    const past = setup();
    const seenPast: unknown[] = [];
    past.api.migrateVolumeCompletion.mockImplementation(async (_as, old) => {
      seenPast.push(past.run.progress().completion);
      return old;
    });
    past.run.start();
    past.mirror.converge();
    await past.run.done;
    expect(seenPast).toEqual(['success']);

    const before = setup();
    const seenBefore: unknown[] = [];
    before.api.rollDetaching.mockImplementation(async () => {
      seenBefore.push([before.mirror.cancelled !== undefined, before.run.progress().completion]);
    });
    before.api.migrateVolumeCompletion.mockImplementation(async (_as, old) => {
      seenBefore.push(before.run.progress().completion);
      return old;
    });
    before.run.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(before.run.progress().completion).toBeNull();
    await before.run.cancel('watchdog');
    expect(seenBefore).toEqual([[true, 'error'], 'error']);
    expect(before.run.progress().completion).toBe('error');
  });
});
