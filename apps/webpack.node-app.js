const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');

/**
 * The one webpack configuration of the Node apps (and volctl): `src/main.ts` bundled into one
 * `main.js` with the workspace libraries in it, npm packages left as dependencies. Each app's
 * webpack.config.js names only where it goes and what ships beside it. (Under apps/, which the
 * image's build stage copies.)
 */
module.exports = function nodeApp({ outputPath, generatePackageJson, sourceMap }) {
  return {
    output: { path: outputPath },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson,
        sourceMap,
      }),
    ],
  };
};
