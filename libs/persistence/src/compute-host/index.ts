// The tables of nova-bridge's local compute host: in the volume service's database and migration
// history, but not part of its schema. Imported as `@volume/persistence/compute-host`.
import { ComputeDeviceEntity } from './entities/compute-device.entity';
import { ComputeServerEntity } from './entities/compute-server.entity';
import { ComputeSwapEntity } from './entities/compute-swap.entity';

export * from './entities/compute-device.entity';
export * from './entities/compute-server.entity';
export * from './entities/compute-swap.entity';
export * from './migrations/1764136800000-compute-host';

export const COMPUTE_HOST_ENTITIES = [ComputeServerEntity, ComputeDeviceEntity, ComputeSwapEntity];
