export * from './auth';
export * from './authenticator';
