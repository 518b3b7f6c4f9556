// @ts-check
'use strict';
// Queue mode against regular mode, side by side from one run: the same production webhook
// workflow (Webhook → Larkbase Get Token (credential) → HTTP Request signed by the credential)
// called 1,000 times at concurrency 20, once by n8n 2.x in queue mode (a main, two workers, Redis)
// and once by one n8n process in regular mode, both on the same kind of private PostgreSQL, against
// the local Lark stand-in. Prints the webhook answer's p50 and p99, executions per second and the
// token requests the stand-in received. Asserts nothing.
//
//   node bench/queue.js               (or BENCH_QUEUE=1 npm run bench, which runs it last)
//   BENCH_QUEUE_CALLS=200 node bench/queue.js   fewer calls

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startStandIn, DEMO_APP, DEMO_RECORDS } = require('../tests/lark-stand-in');
const h = require('../tests/e2e/n8n-harness');
const { callWebhook, executionsStartedIn, startCluster } = require('../tests/e2e/n8n-cluster');

const CALLS = Number(process.env.BENCH_QUEUE_CALLS ?? 1000);
const CONCURRENCY = 20;
/** Calls before the measured ones, one per caller and a few more: first compilations, connections. */
const WARMUP = 2 * CONCURRENCY;

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * @param {h.N8nInstall} n8n
 * @param {'queue' | 'regular'} mode
 */
async function measure(n8n, mode) {
  const lark = await startStandIn({ apps: { [DEMO_APP.appId]: DEMO_APP.appSecret }, rateLimitPerSecond: 1e9 });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `larkbase-bench-${mode}-`));
  const cluster = await startCluster({ n8n, larkUrl: lark.url, app: DEMO_APP, mode, workers: 2, logDir }).catch(async (error) => {
    await lark.close();
    throw error;
  });
  try {
    const warm = await callWebhook(cluster.webhookUrl, { count: WARMUP, concurrency: CONCURRENCY });
    const t0 = process.hrtime.bigint();
    const results = await callWebhook(cluster.webhookUrl, { count: CALLS, concurrency: CONCURRENCY });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const failed = [...warm, ...results].filter((r) => r.status !== 200 || JSON.stringify(r.body?.data?.items) !== JSON.stringify(DEMO_RECORDS));
    if (failed.length > 0) throw new Error(`${mode} mode: ${failed.length} calls failed, e.g. ${JSON.stringify(failed[0])}`);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    return {
      mode,
      p50: quantile(ms, 0.5),
      p99: quantile(ms, 0.99),
      perSecond: CALLS / seconds,
      tokenRequests: lark.requests.filter((r) => r.path.includes('access_token')).length,
      split: cluster.workers.map((w) => executionsStartedIn(w.logFile).size),
    };
  } finally {
    await cluster.stop();
    await lark.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

async function main() {
  const { version } = h.N8N_LINES.find((l) => l.line === '2.x') ?? { version: '2.41.1' };
  const n8n = h.installN8n(version);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n### n8n ${version}: ${CALLS} webhook executions at concurrency ${CONCURRENCY}, queue mode (a main, 2 workers) against regular mode (1 process)\n`);
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version} (bench), n8n on Node.js 24\n`);
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const loadBefore = load();
  const rows = [];
  for (const mode of /** @type {const} */ (['queue', 'regular'])) rows.push(await measure(n8n, mode));
  const cells = [
    ['mode', 'webhook p50 ms', 'webhook p99 ms', 'executions/s', 'token requests', 'executions per worker'],
    ...rows.map((r) => [
      r.mode === 'queue' ? 'queue: main + 2 workers' : 'regular: 1 process',
      r.p50.toFixed(0),
      r.p99.toFixed(0),
      r.perSecond.toFixed(1),
      String(r.tokenRequests),
      r.split.length ? r.split.join(' / ') : '-',
    ]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const row = (/** @type {string[]} */ r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(row(cells[0]));
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const r of cells.slice(1)) console.log(row(r));
  console.log(`\n(${WARMUP} warm-up calls per mode before the measured ones; token requests count them too; executions per worker include them. Load average before ${loadBefore}, after ${load()}.)`);
}

module.exports = { main };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
