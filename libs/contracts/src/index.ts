export * from './compute.contracts';
export * from './errors';
export * from './migration.contracts';
export * from './health.contracts';
export * from './rpc';
export * from './scheduler.contracts';
export * from './volume-worker.contracts';
export * from './openstack-fault';
