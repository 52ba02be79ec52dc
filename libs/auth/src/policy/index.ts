export * from './check-evaluator';
export * from './check-parser';
export * from './cinder-policy-defaults';
export * from './credentials';
export * from './policy-config';
export * from './policy-enforcer';
export * from './policy-file';
