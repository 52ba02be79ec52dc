// One Jest run over every project (what `npm test` uses); `nx run-many -t test` runs them one by one.
module.exports = {
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js'],
};
