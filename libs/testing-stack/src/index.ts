export * from './compute-guest';
export * from './drill';
export * from './stack';
