import type { DeviceMirror, MirrorOptions } from './mirror/device-mirror';
import { GuestDevice } from './mirror/guest-device';

/** A running copy of a device to a target file while the guest writes (QEMU's block mirror job). */
export type Mirror = Pick<DeviceMirror, 'ready' | 'stats' | 'pivot' | 'cancel' | 'setBandwidth'>;

/** One guest disk: every guest read, write and flush goes through it, so a mirror sees every write. */
export interface Guest {
  readonly path: string;
  readonly sizeBytes: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer): Promise<unknown>;
  flush(): Promise<unknown>;
  startMirror(targetPath: string, opts?: MirrorOptions): Mirror;
  close(): Promise<unknown>;
}

export type OpenGuest = (path: string, sizeBytes: number) => Promise<Guest>;

export const openGuestDevice: OpenGuest = (path, sizeBytes) => GuestDevice.open(path, sizeBytes);
