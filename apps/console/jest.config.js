// Unit specs of the console's pure helpers, and console.browser.spec.ts: the built console in a real
// headless Chromium against the whole stack (libs/testing-stack) on the real PostgreSQL and NATS.
module.exports = {
  displayName: 'console',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
