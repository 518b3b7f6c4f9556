// @ts-check
'use strict';
// `npm run bench`, issue 17's part: Lark Base calls against Lark's per-app rate limit, their memory
// and the cost of their checks, this checkout ("now") side by side with the package as it was
// before that work ("before", commit 528bc29, built once into the cache by bench/baseline.js).
//
// 1. 40 concurrent getRecords calls (one record each) against 5 requests a second, with Lark's
//    answer (HTTP 400, 99991400, x-ogw-ratelimit-limit and -reset) and with a plain 429 and
//    Retry-After: calls that succeeded, wall time, requests Lark refused.
// 2. A 10,000-row upsert against 10 requests a second, through the package (creates, then the same
//    rows again: updates); then in real n8n (bench/limits-n8n.js): the Larkbase node, n8n's HTTP
//    Request node one call per item on a sample, and 200 items in 20 concurrent executions at 5/s.
// 3. RSS and the Lark Base module's memory (bench/limits-memory.js, a process of its own).
// 4. The cost of the checks on ordinary pages, both builds in one process (bench/limits-overhead.js).
//
// Every stand-in runs in a process of its own (tests/lark-stand-in.js, its per-app Lark Base limit
// set by LARK_STAND_IN_BASE_RATE_LIMIT), with writes that take no time, so that only the rate limit
// slows anything. Prints tables; asserts only that the work was done, never a time.
//
//   node bench/limits.js         (npm run bench runs it last, with --section)
//   BENCH_QUICK=1                fewer rows and samples; BENCH_SKIP_N8N=1 leaves out n8n

const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { fmt, startStandInProcess, table } = require('./report');
const { createBase, demoToken, seedRecords } = require('./base-setup');
const { COMMIT, ensureBaseline } = require('./baseline');

const QUICK = process.env.BENCH_QUICK === '1';
const CALLS = 40;
const UPSERT_ROWS = Number(process.env.BENCH_LIMIT_ROWS ?? (QUICK ? 1000 : 10_000));
const APP_TOKEN = 'bascnBenchLimits001';
const TABLE = 'tblBenchLimits0001';

/** @typedef {import('./report').StandInStats} StandInStats */
/** @typedef {{ perSecond: number, status?: 400 | 429, headers?: 'ogw' | 'retry-after' }} Limit */

/** Lark's own answer to a request over the limit, and a proxy's plain one. */
const LIMITS = {
  "Lark's: HTTP 400, 99991400, x-ogw-ratelimit-*": /** @type {Omit<Limit, 'perSecond'>} */ ({ status: 400, headers: 'ogw' }),
  'plain: HTTP 429, Retry-After': /** @type {Omit<Limit, 'perSecond'>} */ ({ status: 429, headers: 'retry-after' }),
};

/** The earliest the last of `requests` can start at `perSecond`, in fixed windows entered at a start. @param {number} requests @param {number} perSecond */
const floor = (requests, perSecond) => Math.max(0, Math.ceil(requests / perSecond) - 1).toFixed(1);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for the start of the stand-in's next one-second window (it runs on this machine's clock). */
const nextWindow = () => sleep(1000 - (Date.now() % 1000) + 5);

/**
 * A stand-in in its own process with a Lark Base limit and a base with one sample table.
 *
 * @param {Limit} limit
 */
async function limitedStandIn(limit) {
  const standIn = await startStandInProcess({ LARK_STAND_IN_BASE_RATE_LIMIT: JSON.stringify(limit), LARK_STAND_IN_WRITE_LATENCY_MS: '0' });
  try {
    await createBase(standIn.url, APP_TOKEN, [{ tableId: TABLE }]);
    return { ...standIn, token: await demoToken(standIn.url) };
  } catch (error) {
    standIn.stop();
    throw error;
  }
}

/** What a run cost the stand-in: the difference of two stats. @param {StandInStats} before @param {StandInStats} after */
const spent = (before, after) => ({
  sent: after.baseRequests - before.baseRequests,
  passed: after.baseRateLimit.passed - before.baseRateLimit.passed,
  refused: after.baseRateLimit.refused - before.baseRateLimit.refused,
});

/** Outcomes by what they were: `found`, `created`, ..., or an error code. @param {Array<{ action?: string, error?: { code: string } }>} items */
function tally(items) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const item of items) {
    const key = item.action ?? item.error?.code ?? 'none';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${n} ${key}`)
    .join(', ');
}

/**
 * 40 concurrent getRecords calls of one record each, from the start of a window.
 *
 * @param {any} lb the package's JS entry @param {Limit} limit
 */
async function concurrentGets(lb, limit) {
  const standIn = await limitedStandIn(limit);
  try {
    const rows = Array.from({ length: CALLS }, (_, n) => ({ Key: `K-${String(n).padStart(6, '0')}`, Name: `Item ${n}` }));
    const ids = await seedRecords(standIn.url, standIn.token, APP_TOKEN, TABLE, rows);
    await nextWindow();
    const before = await standIn.stats();
    const t0 = performance.now();
    // The requests refused in the first window: the burst sent before anyone knew the limit.
    const firstWindow = sleep(950).then(() => standIn.stats());
    const outcomes = await Promise.all(
      ids.map((recordId) =>
        lb.getRecords({ base: APP_TOKEN, table: TABLE, accessToken: standIn.token, domain: standIn.url, rows: [{ recordId }] }).then(
          (/** @type {{ items: any[] }} */ result) => {
            const [item] = result.items;
            return item?.action === 'found' && item.record?.record_id === recordId ? { action: 'found' } : item ?? { error: { code: 'NO_ITEM' } };
          },
          (/** @type {any} */ error) => ({ error: { code: String(error?.code ?? error) } }),
        ),
      ),
    );
    const wallS = (performance.now() - t0) / 1000;
    const cost = spent(before, await standIn.stats());
    const succeeded = outcomes.filter((o) => o.action === 'found').length;
    return { succeeded, wallS, ...cost, refusedFirst: spent(before, await firstWindow).refused, outcomes: tally(outcomes) };
  } finally {
    standIn.stop();
  }
}

/**
 * An upsert of `rows` rows of the sample table against 10 requests a second: into the empty
 * table, then the same rows again.
 *
 * @param {any} lb the package's JS entry
 */
async function limitedUpsert(lb) {
  const standIn = await limitedStandIn({ perSecond: 10, status: 400, headers: 'ogw' });
  try {
    const rows = Array.from({ length: UPSERT_ROWS }, (_, n) => ({
      fields: { Key: `K-${String(n).padStart(6, '0')}`, Name: `Item ${n}`, Amount: n * 1.5, Status: n % 2 ? 'Done' : 'Todo', Due: Date.UTC(2026, 0, 1) + n * 3_600_000, Paid: n % 3 === 0 },
    }));
    const passes = [];
    for (const pass of ['creates', 'updates']) {
      await nextWindow();
      const before = await standIn.stats();
      const t0 = performance.now();
      /** @type {any[]} */
      const items = await lb
        .upsertRecords({ base: APP_TOKEN, table: TABLE, accessToken: standIn.token, domain: standIn.url, keys: ['Key'], rows })
        .then(
          (/** @type {{ items: any[] }} */ result) => result.items,
          (/** @type {any} */ error) => rows.map(() => ({ error: { code: String(error?.code ?? error) } })),
        );
      const wallS = (performance.now() - t0) / 1000;
      const cost = spent(before, await standIn.stats());
      const stored = /** @type {unknown[]} */ (await (await fetch(`${standIn.url}/stand-in/records?app=${APP_TOKEN}&table=${TABLE}`)).json()).length;
      const done = items.filter((i) => i.action === (pass === 'creates' ? 'created' : 'updated')).length;
      passes.push({ pass, done, wallS, ...cost, stored, outcomes: tally(items) });
    }
    return passes;
  } finally {
    standIn.stop();
  }
}

/**
 * Runs a part of this benchmark in a fresh Node process, its output passed through.
 *
 * @param {string} script @param {string[]} args
 */
function child(script, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', path.join(__dirname, script), ...args], { stdio: 'inherit' });
    proc.once('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function main() {
  const section = process.argv.includes('--section');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n${section ? '##' : '#'} Lark Base under Lark's rate limits (issue 17): this checkout against ${COMMIT}\n`);
  console.log(
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node.js ${process.version}${QUICK ? ' (BENCH_QUICK=1: fewer rows and samples)' : ''}. ` +
      'The machine is shared with other work: compare figures within this run, counts and ratios rather than times.',
  );
  const loadBefore = load();
  console.log(`Load average (1, 5, 15 min) before: ${loadBefore}`);
  const builds = { now: require(ROOT), [`before (${COMMIT})`]: require(ensureBaseline()) };

  // 1. 40 concurrent calls against 5 requests a second.
  /** @type {Array<Array<string | number>>} */
  const gets = [];
  for (const [answer, limit] of Object.entries(LIMITS)) {
    for (const [build, lb] of Object.entries(builds)) {
      const r = await concurrentGets(lb, { perSecond: 5, ...limit });
      gets.push([answer, build, `${r.succeeded} / ${CALLS}`, fmt(r.wallS, 2), r.sent, r.refused, r.refusedFirst, r.outcomes]);
    }
  }
  table(`${CALLS} concurrent getRecords calls (one record each) against 5 requests a second per app`, [
    "Lark's answer over the limit", 'build', 'succeeded', 'wall time (s)', 'requests sent', 'requests refused', 'of them in the first 0.95 s', 'outcomes',
  ], gets);
  console.log(
    `\nFloor: ${CALLS} requests at 5 a second take ${CALLS / 5} s as the issue counts it; the stand-in's fixed one-second windows, ` +
      `entered at a window's start as here, let the last request start at ${CALLS / 5 - 1} s. Each build with its defaults ` +
      '(now: a 5-minute deadline per call; before: 5 tries per request).',
  );

  // 2. A 10,000-row upsert against 10 requests a second, through the package.
  /** @type {Array<Array<string | number>>} */
  const upserts = [];
  for (const [build, lb] of Object.entries(builds)) {
    for (const r of await limitedUpsert(lb)) {
      upserts.push([build, r.pass, `${r.done} / ${UPSERT_ROWS}`, fmt(r.wallS, 2), floor(r.passed, 10), r.sent, r.refused, r.stored, r.outcomes]);
    }
  }
  table(`A ${UPSERT_ROWS.toLocaleString('en')}-row upsert through the package (Node.js) against 10 requests a second`, [
    'build', 'run', 'rows done', 'wall time (s)', 'floor (s)', 'requests sent', 'requests refused', 'records in the table', 'outcomes',
  ], upserts);
  console.log(
    "\nFloor: when the limit lets the requests that went through start, entered at a window's start: " +
      'n requests at 10 a second need ⌈n / 10⌉ windows, the last starting ⌈n / 10⌉ − 1 s in.',
  );

  if (process.env.BENCH_SKIP_N8N === '1') console.log('\n(n8n parts skipped: BENCH_SKIP_N8N=1)');
  else await child('limits-n8n.js', []);
  await child('limits-memory.js', []);
  await child('limits-overhead.js', [ensureBaseline()]);
  console.log(`\nLoad average (1, 5, 15 min) before issue 17's benchmarks: ${loadBefore}; after: ${load()}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
