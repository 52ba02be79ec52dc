'use strict';
// The settings and goals of `npm run bench -- scale` (issue 13 §2 and §3); the rest of the bench's
// settings are in ../common.js.
const crypto = require('crypto');

const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

/** The project of the 100,000 volumes a member lists, and where the other 1,000,000 live. */
const LIST_PROJECT = md5('scale-list-project');
const LIST_VOLUMES = 100_000;
const OTHER_VOLUMES = 1_000_000;
const OTHER_PROJECTS = 1_000;
/** A member of LIST_PROJECT (noauth: `user:project`; not `admin`, no admin role). */
const MEMBER = { 'x-auth-token': `scale-member:${LIST_PROJECT}` };
const LIST_ADMIN = { 'x-auth-token': `admin:${LIST_PROJECT}` };
const PAGE = 1000;
/** The list API's microversion: with_count needs 3.45, filters as users send them 3.31. */
const LIST_VERSION = '3.72';

/** §3: four pools of POOL_GB x OVER_SUBSCRIPTION hold fewer than CREATES volumes of 1 GiB. */
const CREATES = 200;
const POOL_GB = 20;
const OVER_SUBSCRIPTION = 2;
const MIGRATIONS = 20;
/** GiB per migrated volume: a Cinder volume is whole GiB, 1 is the least. */
const MIGRATION_GB = 1;
const REPEATS = Math.max(1, Number(process.env.BENCH_SCALE_REPEATS || 3));
/** Seconds of quiet after a repeat before an app's RSS counts as "at rest". */
const REST_S = 5;

const GOALS = {
  pageP99Ms: 150, // each page of GET /volumes/detail?limit=1000, p99 under
  countP99Ms: 200, // the same with with_count=true, p99 under
  createP99Ms: 1000, // POST to `available` (or `error`), p99 under
  migrationCopyRatio: 0.8, // aggregate copy rate of 20 migrations / of 20 dd iflag=direct oflag=direct, at least
  migratingGetP99Ms: 50, // GET of the migrating volumes while 32 clients poll, p99 under
  /** Leak rule: live memory after the last repeat's full GC, no app more than this share and MiB above the first's. */
  rssGrowthRatio: 0.2,
  rssGrowthMiB: 32,
};

module.exports = {
  md5,
  LIST_PROJECT,
  LIST_VOLUMES,
  OTHER_VOLUMES,
  OTHER_PROJECTS,
  MEMBER,
  LIST_ADMIN,
  PAGE,
  LIST_VERSION,
  CREATES,
  POOL_GB,
  OVER_SUBSCRIPTION,
  MIGRATIONS,
  MIGRATION_GB,
  REPEATS,
  REST_S,
  GOALS,
};
