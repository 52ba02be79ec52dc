export * from './compute-guest';
export * from './drill';
export * from './stack';
export * from './volume-data';
