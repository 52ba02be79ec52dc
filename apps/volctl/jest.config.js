// Unit specs and, in *.int.spec.ts, the CLI run as a child process against the whole stack
// (libs/testing-stack) on the real PostgreSQL and NATS; the timeout is for `nx test volctl`, where the
// root config is not read.
module.exports = {
  displayName: 'volctl',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 30_000,
};
