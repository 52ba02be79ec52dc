// `npm run e2e`: drives a running stack from outside (E2E_BASE_URL, default http://127.0.0.1:8776),
// and spawns the built apps (dist/) to check their graceful shutdown. Not named jest.config.js, so
// that `npm test` never runs these without a stack.
module.exports = {
  displayName: 'volume-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.ts'],
  testTimeout: 120000,
  // One suite at a time: they share the stack under test and the machine's ports.
  maxWorkers: 1,
};
