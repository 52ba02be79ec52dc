const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

// One file, dist/main.js, next to this folder's package.json (what `npm pack` ships): the workspace
// libraries it imports are bundled in, the npm packages stay dependencies of the package.
module.exports = {
  output: { path: join(__dirname, 'dist') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMap: false,
    }),
  ],
};
