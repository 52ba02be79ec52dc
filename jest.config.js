// One Jest run over every project (what `npm test` uses); `nx run-many -t test` runs them one by one.
module.exports = {
  // Global (Jest ignores it per project): integration suites start the real apps against real services.
  testTimeout: 30_000,
  // Notification streams test APIs left on the shared NATS (see the file).
  globalTeardown: '<rootDir>/tools/dev-stack/jest-teardown.js',
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js'],
};
