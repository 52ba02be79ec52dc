import { defineCall, defineEvent } from './rpc';

/** Messages to and from a volume-worker (one worker process is one storage host). */

export interface CreateVolumeRequest {
  volumeId: string;
  /** Full `host@backend#pool` the scheduler chose. */
  poolHost: string;
  sizeGb: number;
}
export interface CreateVolumeReply {
  volumeId: string;
  status: 'available' | 'error';
}

export interface DeleteVolumeRequest {
  volumeId: string;
}
export interface DeleteVolumeReply {
  volumeId: string;
  deleted: boolean;
}

export interface InitializeConnectionRequest {
  volumeId: string;
  connector: Record<string, unknown> | null;
}
export interface InitializeConnectionReply {
  connectionInfo: { driver_volume_type: string; data: Record<string, unknown> };
}

export interface PoolReport {
  /** Pool name alone, e.g. `pool1`. */
  poolName: string;
  totalCapacityGb: number;
  freeCapacityGb: number;
  reservedPercentage: number;
  maxOverSubscriptionRatio: number;
  thinProvisioningSupport: boolean;
  thickProvisioningSupport: boolean;
  storageProtocol: string;
  driverVersion: string;
}

export interface PoolStatsEvent {
  /** Worker host, e.g. `host-a`. */
  serviceHost: string;
  /** `host-a@file`. */
  backend: string;
  volumeBackendName: string;
  availabilityZone: string;
  pools: PoolReport[];
  reportedAt: string;
}

export const WorkerSubjects = {
  createVolume: defineCall<CreateVolumeRequest, CreateVolumeReply>('volume.{host}.create_volume.v1', 30_000),
  deleteVolume: defineCall<DeleteVolumeRequest, DeleteVolumeReply>('volume.{host}.delete_volume.v1', 30_000),
  initializeConnection: defineCall<InitializeConnectionRequest, InitializeConnectionReply>(
    'volume.{host}.initialize_connection.v1',
    10_000,
  ),
  /** Workers publish their pools; the scheduler group stores them. */
  poolStats: defineEvent<PoolStatsEvent>('volume.pool_stats.v1', 'volume-scheduler'),
} as const;
