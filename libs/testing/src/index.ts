export * from './test-database';
export * from './files';
