export { ensureAppBuild } from './app-build';
export * from './drill-environment';
export * from './drill-stack';
export * from './logged-process';
export * from './nats-server';
export * from './postgres-server';
