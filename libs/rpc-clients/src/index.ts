export * from './compute-rpc.client';
export * from './rpc-clients.module';
export * from './scheduler-rpc.client';
export * from './worker-rpc.client';
export * from './retry';
