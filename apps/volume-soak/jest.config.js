// Part of `npm test` (the root jest.config.js globs apps/*/jest.config.js): only the soak's pure
// rules (options, classification, the final check's arithmetic). The soak itself is `npm run soak`.
module.exports = {
  displayName: 'volume-soak',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
