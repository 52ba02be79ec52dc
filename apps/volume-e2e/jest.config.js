// Part of `npm test` (the root jest.config.js globs apps/*/jest.config.js): only the hermetic
// *.spec.ts here, which need no running stack. The end-to-end suites (*.e2e.ts) run with
// jest.e2e.config.js through `npm run e2e`.
module.exports = {
  displayName: 'volume-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
