import { GuestDevice } from './mirror/guest-device';

/** What a device mirror reports: QEMU's offset/len as `cur`/`end`, and what is left to copy. */
export interface MirrorStats {
  cur: number;
  end: number;
  dirtyBytes: number;
  inFlightBytes: number;
  passes: number;
  mode: string;
  state: string;
}

/** A running copy of a device to a target file while the guest writes (QEMU's block mirror job). */
export interface Mirror {
  /** Resolves once converged with the target fsynced; rejects on an I/O failure (the guest is unaffected). */
  readonly ready: Promise<void>;
  stats(): MirrorStats;
  /** Drains, checks, fsyncs the target, awaits `commit`, then the device runs on the target; false = not converged. */
  pivot(commit: () => Promise<void>): Promise<boolean>;
  cancel(reason: string): Promise<void>;
  onProgress(listener: (stats: MirrorStats) => void): unknown;
}

/** One guest disk: every guest read, write and flush goes through it, so a mirror sees every write. */
export interface Guest {
  readonly path: string;
  readonly sizeBytes: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer): Promise<unknown>;
  flush(): Promise<unknown>;
  startMirror(targetPath: string, opts?: { bytesPerSecond?: number }): Mirror;
  close(): Promise<unknown>;
}

export type OpenGuest = (path: string, sizeBytes: number) => Promise<Guest>;

export const openGuestDevice: OpenGuest = (path, sizeBytes) => GuestDevice.open(path, sizeBytes);
