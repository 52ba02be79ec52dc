export * from './auth';
export * from './authenticator';
export * from './create-authenticator';
export * from './keystone';
export * from './policy';
