import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  CancelSwapReply,
  CancelSwapRequest,
  ComputeAdapterName,
  SetSwapBandwidthReply,
  SetSwapBandwidthRequest,
  SwapProgressReply,
  SwapProgressRequest,
  SwapVolumeReply,
  SwapVolumeRequest,
} from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { NovaBridgeConfig } from './config';

/** What an adapter gets from the app. */
export interface ComputeAdapterDeps {
  ds: DataSource;
  nats: NatsService;
  config: NovaBridgeConfig;
  log: Logger;
}

/**
 * The compute side of an attached-volume migration, one implementation per kind of compute:
 * `local` (the built-in compute host) or `nova` (a real Nova API). nova-bridge serves
 * ComputeSubjects with the one its configuration names. Refusals are CodedErrors with the
 * `NOVA.*` codes of ErrorCode.
 */
export interface ComputeAdapter {
  readonly name: ComputeAdapterName;
  /** Called once after the app's NATS and database are up (open servers, recover swaps). */
  start(): Promise<void>;
  /** Called once on shutdown; in-flight work must stop in a state `start` can recover. */
  stop(): Promise<void>;
  swapVolume(req: SwapVolumeRequest, requestId?: string): Promise<SwapVolumeReply>;
  swapProgress(req: SwapProgressRequest): Promise<SwapProgressReply>;
  cancelSwap(req: CancelSwapRequest): Promise<CancelSwapReply>;
  setSwapBandwidth(req: SetSwapBandwidthRequest): Promise<SetSwapBandwidthReply>;
}
