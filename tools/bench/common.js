'use strict';
// What every module of `npm run bench` shares: the settings of a run (constants and BENCH_*
// variables, described in run.js), the goals, and the log and figure helpers.
const { repoRoot } = require('../dev-stack/common');

const PROJECT = 'b0b0be4c5e6f47a8b9c0d1e2f3a4b5c6';
const ADMIN = { 'x-auth-token': `admin:${PROJECT}` };
const INSTANCE = '5e1c0a7b-3d2f-4e6a-8b9c-0d1e2f3a4b5c';
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const BLOCK = 4 * MIB;

const VOLUME_GB = 2;
const SAMPLES = Math.max(1, Number(process.env.BENCH_SAMPLES || 3));
const COPY_SAMPLES = Math.max(1, Number(process.env.BENCH_COPY_SAMPLES || 5));
const CONNECTIONS = 32;
const API_SECONDS = 10;
/** Source throttle for the API bench: 2 GiB at 48 MiB/s lasts ~43 s, well over the 10 s of load. */
const THROTTLE_BPS = 48 * MIB;
const POLL_MS = 50;
/** Idle seconds (after a sync) before every timed copy: see prepareCache. */
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 3);

/** What 32 admins watching a migration do at most: each GETs it twice a second. */
const PACED_REQ_PER_S = CONNECTIONS * 2;

const GOALS = {
  copyRatio: 1.25, // migration seconds / dd seconds, at most
  apiBareRatio: 0.25, // at-rest req/s / a bare Node server's req/s answering the same bytes, at least
  apiThroughputRatio: 0.9, // migrating req/s / at-rest req/s, at least
  apiP99Ms: 25, // p99 at rest and migrating (32 connections), under
  interferenceRatio: 0.8, // polled copy throughput / quiet copy throughput, at least
};

const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '_').toLowerCase();
const startedAt = performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;
const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

function log(message) {
  const t = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${t}s] ${message}`);
}

module.exports = {
  repoRoot,
  PROJECT,
  ADMIN,
  INSTANCE,
  MIB,
  GIB,
  BLOCK,
  VOLUME_GB,
  SAMPLES,
  COPY_SAMPLES,
  CONNECTIONS,
  API_SECONDS,
  THROTTLE_BPS,
  POLL_MS,
  SETTLE_S,
  PACED_REQ_PER_S,
  GOALS,
  ts,
  startedAt,
  sleep,
  median,
  mbps,
  fmt,
  log,
};
