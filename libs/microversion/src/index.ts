export * from './api-version';
export * from './microversions';
export * from './negotiate';
export * from './version-document';
