#!/usr/bin/env node
// The `volctl` command. Installed from the package it runs the bundle (dist/main.js); in the
// repository, where the sources sit next to it, it runs them through SWC, so `npx volctl` never
// runs a stale build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const sources = join(__dirname, '../src/main.ts');
if (existsSync(sources)) {
  process.env.SWC_NODE_PROJECT ??= join(__dirname, '../../../tsconfig.run.json');
  require('@swc-node/register');
  require(sources);
} else {
  require('../dist/main.js');
}
