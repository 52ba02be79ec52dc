export * from './test-database';
export * from './files';
export * from './ports';
export * from './nats-server';
export * from './keystone';
export * from './sse-client';
export * from './migration-relay';
