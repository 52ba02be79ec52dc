export * from './test-database';
export * from './files';
export * from './ports';
