module.exports = {
  displayName: 'volume-api',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // Integration suites start the real apps; migrations take seconds by design (throttled copies).
  testTimeout: 60_000,
};
