// @ts-check
'use strict';
// Issue 17's cost on ordinary calls: searchRecords through this checkout ("now") and through the
// package as it was before the work (the baseline, bench/baseline.js), both loaded in this one
// process, against the same Lark stand-in in a process of its own. Three tables: 500 records of 10
// realistic columns (one page), 500 records of 100 columns (a wide page), and 10,000 records of 10
// columns read with Return All (20 pages). The builds take turns call by call, so that drift and
// the machine's other work fall on both alike. Per call: wall time, the requests it sent, and the
// longest the event loop was blocked while it ran (the longest gap between the ticks of a 1 ms
// interval timer; monitorEventLoopDelay cannot be switched on and off per call without counting the
// time it was off).
// Asserts only that every call returned every record.
//
//   node --expose-gc bench/limits-overhead.js <baseline package folder>   (bench/limits.js runs it)

const path = require('node:path');
const { fmt, startStandInProcess, table } = require('./report');
const { createBase, demoToken, realisticFields, realisticRow, seedRecords } = require('./base-setup');
const { COMMIT } = require('./baseline');

const ROOT = path.join(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const APP_TOKEN = 'bascnBenchOverhead1';

/** The pages measured: rows and columns of their table, calls per build, and how they are read. */
const CASES = [
  { name: 'one page: 500 records × 10 columns', tableId: 'tblOrdinary000001', rows: 500, columns: 10, calls: QUICK ? 60 : 300, warmup: 20 },
  { name: 'wide page: 500 records × 100 columns', tableId: 'tblWide0000000001', rows: 500, columns: 100, calls: QUICK ? 10 : 40, warmup: 3 },
  { name: 'Return All: 10,000 records × 10 columns', tableId: 'tblReturnAll00001', rows: 10_000, columns: 10, calls: QUICK ? 3 : 10, warmup: 1 },
];

/**
 * The longest the event loop went without running a 1 ms interval timer since `start()`.
 */
const probe = {
  last: 0,
  longest: 0,
  /** @type {NodeJS.Timeout | undefined} */
  timer: undefined,
  start() {
    this.timer ??= setInterval(() => this.tick(), 1);
    this.last = performance.now();
    this.longest = 0;
  },
  tick() {
    const now = performance.now();
    this.longest = Math.max(this.longest, now - this.last);
    this.last = now;
  },
  stop() {
    this.tick();
    return this.longest;
  },
};

/** @param {number[]} samples @param {number} q */
const quantile = (samples, q) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function main() {
  const baselineDir = process.argv[2];
  if (!baselineDir) throw new Error('usage: limits-overhead.js <baseline package folder>');
  /** @type {Record<string, any>} */
  const builds = { now: require(ROOT), [`before (${COMMIT})`]: require(baselineDir) };
  const standIn = await startStandInProcess({ LARK_STAND_IN_WRITE_LATENCY_MS: '0' });
  try {
    await createBase(standIn.url, APP_TOKEN, CASES.map((c) => ({ tableId: c.tableId, fields: realisticFields(c.columns) })));
    const token = await demoToken(standIn.url);
    for (const c of CASES) {
      const fields = realisticFields(c.columns);
      await seedRecords(standIn.url, token, APP_TOKEN, c.tableId, Array.from({ length: c.rows }, (_, n) => realisticRow(n, fields)));
    }
    /** @type {Array<Array<string | number>>} */
    const rows = [];
    for (const c of CASES) {
      const params = { base: APP_TOKEN, table: c.tableId, accessToken: token, domain: standIn.url };
      /** @type {Record<string, { ms: number[], requests: number, blocked: number }>} */
      const seen = {};
      for (const build of Object.keys(builds)) seen[build] = { ms: [], requests: 0, blocked: 0 };
      /** @param {string} build @param {boolean} measured */
      const once = async (build, measured) => {
        const s = seen[build];
        const before = measured ? await standIn.stats() : undefined;
        probe.start();
        const t0 = performance.now();
        const { records } = await builds[build].searchRecords(params);
        const ms = performance.now() - t0;
        const blocked = probe.stop();
        if (records.length !== c.rows) throw new Error(`${build}, ${c.name}: ${records.length} records, not ${c.rows}`);
        if (!measured || !before) return;
        s.ms.push(ms);
        s.blocked = Math.max(s.blocked, blocked);
        s.requests += (await standIn.stats()).baseRequests - before.baseRequests;
      };
      for (let i = 0; i < c.warmup; i++) for (const build of Object.keys(builds)) await once(build, false);
      /** @type {any} */ (globalThis).gc?.();
      const order = Object.keys(builds);
      for (let i = 0; i < c.calls; i++) {
        // Each build goes first every other call.
        for (const build of i % 2 ? [...order].reverse() : order) await once(build, true);
      }
      const [now, before] = Object.values(seen);
      for (const [build, s] of Object.entries(seen)) {
        rows.push([
          c.name,
          build,
          s.ms.length,
          fmt(quantile(s.ms, 0.5), 2),
          fmt(quantile(s.ms, 0.95), 2),
          build === 'now' ? `${fmt(quantile(now.ms, 0.5) / quantile(before.ms, 0.5), 3)}×` : '1×',
          fmt(s.requests / s.ms.length, 1),
          fmt(s.blocked, 1),
        ]);
      }
    }
    table(`searchRecords, now against before (${COMMIT}), one process, turn about`, [
      'page', 'build', 'calls', 'p50 (ms)', 'p95 (ms)', 'p50 now ÷ before', 'requests per call', 'longest event-loop block (ms)',
    ], rows);
    const ordinary = rows.filter((r) => r[0] === CASES[0].name).map((r) => Number(r[3]));
    const ratio = ordinary[0] / ordinary[1];
    console.log(`\nTarget: the ordinary page no more than 5 % slower than before (p50): ${fmt(ratio, 3)}×, ${ratio <= 1.05 ? 'met' : 'missed'}.`);
    console.log('Columns cycle text, number, single select, multiple select, date, checkbox, person, phone, URL and a longer text; every cell filled.');
    console.log('The longest block counts any delay of the event loop while a call ran (GC pauses and the machine\'s other work included).');
  } finally {
    clearInterval(probe.timer);
    standIn.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
