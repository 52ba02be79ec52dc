export * from './bootstrap';
export * from './config';
export * from './health';
export * from './health-server';
export * from './heartbeat';
export * from './logger';
export * from './nats.service';
export * from './platform.module';
