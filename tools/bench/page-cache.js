'use strict';
// Shared by the benches: empties the page cache, so that a run reads from disk (needs root).
const fs = require('fs');
const { execFileSync } = require('child_process');

/** `sync; echo 3 > /proc/sys/vm/drop_caches`; false when not allowed (not root, or in a container). */
function dropCaches() {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

module.exports = { dropCaches };
