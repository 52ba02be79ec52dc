// The whole stack in one process (libs/testing-stack) against the real PostgreSQL and NATS; part of
// `npm test`, whose root config sets the timeout these suites need. This one is for
// `nx test volume-integration`, where the root config is not read.
module.exports = {
  displayName: 'volume-integration',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 30_000,
};
