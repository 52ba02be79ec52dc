import type { BlockFile, BlockFileStat } from './block-file';
import type { DeviceMirror } from './device-mirror';

/**
 * What a GuestDevice lends its mirror. Nothing here writes the source: the mirror never does.
 * @internal
 */
export interface MirrorHost {
  readSource(offset: number, length: number): Promise<Buffer>;
  statSource(): Promise<BlockFileStat>;
  drain(): Promise<void>;
  undrain(): void;
  /** The commit point has passed: the device runs on `target` from now on and lets the source go. */
  adoptTarget(mirror: DeviceMirror, path: string, target: BlockFile): Promise<void>;
  /** The mirror ended without a pivot: guest I/O goes to the source only. */
  detach(mirror: DeviceMirror): void;
}
