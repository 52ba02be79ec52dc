const { join } = require('path');
const nodeApp = require('../webpack.node-app');

module.exports = nodeApp({ outputPath: join(__dirname, '../../dist/apps/nova-bridge'), generatePackageJson: true, sourceMap: true });
