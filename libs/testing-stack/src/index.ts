export * from './compute-guest';
export * from './stack';
