'use strict';
// Preloaded into the scale bench's apps (`node --expose-gc --require gc-probe.js`), never into a
// deployed one: on SIGUSR2, a full garbage collection, then the process's memory written to
// BENCH_GC_PROBE_DIR/<pid>.json. What is left after a full collection is what the process really
// holds; RSS read without one also holds the garbage V8 has not collected yet (memory.js).
const fs = require('fs');
const path = require('path');

const dir = process.env.BENCH_GC_PROBE_DIR;
if (dir && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    // Twice: the first may leave what only a second finds unreachable (weak references, finalizers).
    global.gc();
    global.gc();
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    fs.renameSync(`${file}.tmp`, file);
  });
}
