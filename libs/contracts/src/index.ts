export * from './errors';
export * from './health.contracts';
export * from './rpc';
export * from './scheduler.contracts';
export * from './volume-worker.contracts';
