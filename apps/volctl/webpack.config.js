const { join } = require('path');
const nodeApp = require('../webpack.node-app');

// One file, dist/main.js, next to this folder's package.json (what `npm pack` ships): the workspace
// libraries it imports are bundled in, the npm packages stay dependencies of the package.
module.exports = nodeApp({ outputPath: join(__dirname, 'dist'), generatePackageJson: false, sourceMap: false });
