// @ts-check
'use strict';
// The memory benchmark (issue 14): how much a process grows from uncached getToken calls, through
// a custom fetch that answers at once with no network (what n8n's nodes use: n8n's request
// helper) and through the global fetch to the local Lark stand-in, side by side. Each measure runs
// in a fresh Node process, so that no run inherits another's heap: it makes 200 calls to warm up,
// collects garbage, reads RSS, makes the calls (100,000 at concurrency 10, or a burst of 1,000 at
// once), waits 1.2 s, collects garbage twice, and reads RSS again. Default timeoutMs, as users
// get it. Prints one table; asserts nothing.
//
// `node bench/memory.js [package root]` runs it alone (the root defaults to this checkout, so an
// older build can be measured the same way); `npm run bench` runs it last.

const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const { startStandInProcess, table } = require('./report');

const ROOT = path.join(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const SCENARIOS = [
  { name: `${QUICK ? '20,000' : '100,000'} calls at concurrency 10`, calls: QUICK ? 20_000 : 100_000, concurrency: 10, target: true },
  { name: 'a burst of 1,000 at once', calls: 1000, concurrency: 1000, target: false },
];
const PATHS = ['custom fetch', 'global fetch'];
/** The bar for the custom path at concurrency 10, when the global path grows less. */
const TARGET_MB = 64;
const MB = 1024 * 1024;

/**
 * One measure, in this process: `node --expose-gc bench/memory.js --child <json>`.
 *
 * @param {{ root: string, url: string, path: string, calls: number, concurrency: number }} job
 */
async function child(job) {
  const gc = /** @type {() => void} */ (global.gc);
  const { getToken } = require(job.root);
  const { DEMO_APP } = require('../tests/lark-stand-in');
  const body = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-0123456789abcdef0123456789abcdef', expire: 7200 });
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) };
  const answer = async () => new Response(body, { status: 200, headers });
  const params = { ...DEMO_APP, domain: job.url, cache: false, maxAttempts: 1, fetch: job.path === 'custom fetch' ? answer : undefined };
  const pause = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 200; i++) await getToken(params);
  gc();
  await pause(500);
  gc();
  const before = process.memoryUsage().rss;
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < job.calls) {
      next++;
      await getToken(params);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pause(1200);
  gc();
  gc();
  const after = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rssGrowth: (after.rss - before) / MB, heapUsed: after.heapUsed / MB, callsPerSecond: job.calls / seconds })}\n`);
}

/**
 * Runs one measure in a fresh process and returns its figures.
 *
 * @param {{ root: string, url: string, path: string, calls: number, concurrency: number }} job
 * @returns {Promise<{ rssGrowth: number, heapUsed: number, callsPerSecond: number }>}
 */
function measure(job) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', __filename, '--child', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`memory measure ${job.path}, ${job.calls} at ${job.concurrency}: exit ${code}`));
    });
  });
}

/** Runs every measure and prints the table. @param {string} [root] the package to measure */
async function run(root = ROOT) {
  const standIn = await startStandInProcess();
  /** @type {string[][]} */
  const rows = [];
  /** @type {string[]} */
  const verdicts = [];
  try {
    for (const scenario of SCENARIOS) {
      /** @type {Record<string, { rssGrowth: number, heapUsed: number, callsPerSecond: number }>} */
      const got = {};
      for (const p of PATHS) {
        got[p] = await measure({ root, url: standIn.url, path: p, calls: scenario.calls, concurrency: scenario.concurrency });
      }
      const [custom, global] = PATHS.map((p) => got[p]);
      const ratio = custom.rssGrowth / Math.max(global.rssGrowth, 1);
      rows.push([
        scenario.name,
        custom.rssGrowth.toFixed(1), global.rssGrowth.toFixed(1), `${ratio.toFixed(2)}×`,
        custom.heapUsed.toFixed(1), global.heapUsed.toFixed(1),
        custom.callsPerSecond.toFixed(0), global.callsPerSecond.toFixed(0),
      ]);
      if (scenario.target) {
        const bar = Math.max(global.rssGrowth, TARGET_MB);
        verdicts.push(`Target, ${scenario.name}: custom-fetch RSS growth ≤ max(global fetch's, ${TARGET_MB} MB) = ${bar.toFixed(1)} MB: ` +
          `${custom.rssGrowth.toFixed(1)} MB, ${custom.rssGrowth <= bar ? 'met' : 'NOT met'}.`);
      }
    }
  } finally {
    standIn.stop();
  }
  table('Memory: RSS growth over the baseline after uncached calls, each in a fresh process (MB; calls/s)', [
    'load', 'custom fetch RSS', 'global fetch RSS', 'custom / global', 'custom heap after', 'global heap after', 'custom calls/s', 'global calls/s',
  ], rows);
  console.log('');
  for (const verdict of verdicts) console.log(verdict);
}

module.exports = { run };

if (require.main === module) {
  if (process.argv[2] === '--child') {
    child(JSON.parse(process.argv[3])).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else {
    const root = path.resolve(process.argv[2] ?? ROOT);
    const describe = () => {
      try {
        return execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return root;
      }
    };
    console.log(`# Memory benchmark: ${describe()}, Node.js ${process.version}${QUICK ? ' (BENCH_QUICK=1: fewer calls)' : ''}`);
    run(root).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  }
}
