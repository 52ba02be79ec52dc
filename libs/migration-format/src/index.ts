export * from './units';
export * from './api-time';
export * from './event-stream/sse-parser';
export * from './event-stream/follow-event-stream';
export * from './migration-destination';
