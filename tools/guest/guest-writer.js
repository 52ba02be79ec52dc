#!/usr/bin/env node
// A guest of nova-bridge's local compute host, for watching a swap by hand: it writes random
// 64 KiB blocks to one device through the compute API until Ctrl-C, then flushes and reads every
// block back, so that a migration under it can be checked to lose nothing.
//
//   node tools/guest/guest-writer.js --server <id> [--device vdb] [--url http://127.0.0.1:8774]
//        [--token demo:<project>] [--span-mib 64] [--interval-ms 20]
'use strict';
const { randomBytes, randomInt } = require('node:crypto');
const { parseArgs } = require('node:util');

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    device: { type: 'string', default: 'vdb' },
    url: { type: 'string', default: 'http://127.0.0.1:8774' },
    token: { type: 'string', default: 'admin' },
    'span-mib': { type: 'string', default: '64' },
    'interval-ms': { type: 'string', default: '20' },
  },
});
if (!args.server) {
  console.error('usage: guest-writer.js --server <id> [--device vdb] [--url ...] [--token user:project]');
  process.exit(2);
}
const BLOCK = 64 * 1024;
const blocks = Math.floor((Number(args['span-mib']) * 1024 * 1024) / BLOCK);
const base = `${args.url}/v2.1/servers/${args.server}/devices/${args.device}`;
const headers = { 'x-auth-token': args.token };
const written = new Map();
let running = true;
process.on('SIGINT', () => (running = false));

async function check(res, what) {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

(async () => {
  let writes = 0;
  let last = Date.now();
  while (running) {
    const block = randomInt(0, blocks);
    const data = randomBytes(BLOCK);
    await check(
      await fetch(`${base}/data?offset=${block * BLOCK}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: data }),
      `write block ${block}`,
    );
    written.set(block, data);
    writes++;
    if (Date.now() - last >= 1000) {
      console.log(`${writes} writes, ${written.size} distinct blocks`);
      last = Date.now();
    }
    await new Promise((r) => setTimeout(r, Number(args['interval-ms'])));
  }
  await check(await fetch(`${base}/flush`, { method: 'POST', headers }), 'flush');
  let bad = 0;
  for (const [block, data] of written) {
    const res = await check(await fetch(`${base}/data?offset=${block * BLOCK}&length=${BLOCK}`, { headers }), `read block ${block}`);
    if (!Buffer.from(await res.arrayBuffer()).equals(data)) bad++;
  }
  console.log(bad ? `${bad} of ${written.size} blocks differ from what was written` : `all ${written.size} blocks read back as written`);
  process.exit(bad ? 1 : 0);
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
