'use strict';
// After a Jest run: the notification streams (issue 14 §3) that test APIs made on the shared NATS
// and did not delete (a spec that starts createApiApp itself, a run cut short) are removed, so that
// runs do not pile streams up on the machine's JetStream. Only test prefixes (`t` + 12 hex, as
// libs/testing names them) are touched, and only streams quiet for 10 minutes, so that a concurrent
// run's live stack keeps its own.
const { connect } = require('nats');

const TEST_STREAM = /^VOLUME_NOTIFICATIONS_t[0-9a-f]{12}$/;
const QUIET_MS = 10 * 60_000;

module.exports = async function deleteLeftoverTestStreams() {
  let nc;
  try {
    nc = await connect({ servers: process.env.NATS_URL || 'nats://127.0.0.1:4222', timeout: 2_000 });
  } catch {
    return; // no NATS here: nothing was left on it
  }
  try {
    const jsm = await nc.jetstreamManager();
    const now = Date.now();
    for await (const s of jsm.streams.list()) {
      if (!TEST_STREAM.test(s.config.name)) continue;
      const last = Math.max(Date.parse(s.created), Date.parse(s.state.last_ts) || 0);
      if (now - last > QUIET_MS) await jsm.streams.delete(s.config.name).catch(() => undefined);
    }
  } catch {
    // JetStream off or not permitted: leave it
  } finally {
    await nc.close();
  }
};
