// @ts-check
'use strict';
// Issue 17 in real n8n 2.x: Lark Base work against Lark's per-app rate limit, each measure against
// a stand-in of its own (tests/lark-stand-in.js in its own process, writes that take no time).
//
// 1. A 10,000-row upsert at 10 requests a second with the Larkbase node (the workflow of
//    bench/larkbase.js): into the empty table, then the same rows again.
// 2. The same upsert the way people do it with n8n's HTTP Request node, one call per item (a search
//    by key, IF, an update or a create): at 10 requests a second 10,000 rows would take over half an
//    hour, so it runs on a sample, into an empty table, set as a careful user would set it against
//    a rate limit: Retry On Fail alone, then with Options → Batching too. What it would take for
//    10,000 rows is extrapolated from the sample, and labelled so.
// 3. 20 executions at once of a production webhook workflow (Webhook → Larkbase Get Token → 10 rows
//    → Larkbase, a search by key per item) at 5 requests a second: 200 items.
//
// Prints tables; asserts only that the work was done where the way can do it.
//
//   node bench/limits-n8n.js [upserts | webhooks]     (bench/limits.js runs both)

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('../tests/e2e/n8n-harness');
const wf = require('../tests/e2e/workflows');
const { callWebhook } = require('../tests/e2e/n8n-cluster');
const { DEMO_APP } = require('../tests/lark-stand-in');
const { fmt, startStandInProcess, table } = require('./report');
const { createBase, demoToken, seedRecords } = require('./base-setup');
const { EXECUTE_TIMEOUT_MS, TOKEN, oneCallPerItem, withTheNode } = require('./larkbase');

const QUICK = process.env.BENCH_QUICK === '1';
const ROWS = Number(process.env.BENCH_LIMIT_ROWS ?? (QUICK ? 1000 : 10_000));
const SAMPLE = QUICK ? 100 : 500;
const EXECUTIONS = QUICK ? 10 : 20;
const ITEMS_PER_EXECUTION = 10;
const APP_TOKEN = 'bascnBenchLimitsN8n';
const TABLE = 'tblBenchLimitsN8n';
const WEBHOOK_PATH = 'larkbase-limits';

/** @typedef {import('./report').StandInStats} StandInStats */

/** @param {StandInStats} before @param {StandInStats} after */
const spent = (before, after) => ({
  sent: after.baseRequests - before.baseRequests,
  passed: after.baseRateLimit.passed - before.baseRateLimit.passed,
  refused: after.baseRateLimit.refused - before.baseRateLimit.refused,
});
/** @param {number} requests @param {number} perSecond */
const floor = (requests, perSecond) => Math.max(0, Math.ceil(requests / perSecond) - 1);
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nextWindow = () => sleep(1000 - (Date.now() % 1000) + 5);

/**
 * A stand-in of its own with Lark's answer over `perSecond`, and an empty sample table.
 *
 * @param {number} perSecond
 */
async function limitedStandIn(perSecond) {
  const standIn = await startStandInProcess({
    LARK_STAND_IN_BASE_RATE_LIMIT: JSON.stringify({ perSecond, status: 400, headers: 'ogw' }),
    LARK_STAND_IN_WRITE_LATENCY_MS: '0',
  });
  try {
    await createBase(standIn.url, APP_TOKEN, [{ tableId: TABLE }]);
  } catch (error) {
    standIn.stop();
    throw error;
  }
  return {
    ...standIn,
    records: async () => /** @type {Array<{ fields: { Key: string } }>} */ (await (await fetch(`${standIn.url}/stand-in/records?app=${APP_TOKEN}&table=${TABLE}`)).json()),
  };
}

/**
 * Imports a workflow and runs it with `n8n execute`, measuring the stand-in's counts around it.
 *
 * @param {h.N8nInstall} n8n @param {string} userFolder
 * @param {Awaited<ReturnType<typeof limitedStandIn>>} standIn
 * @param {{ workflow: { id: string }, nodes: string[] }} way
 */
async function execute(n8n, userFolder, standIn, way) {
  await nextWindow();
  const before = await standIn.stats();
  const t0 = performance.now();
  const { code, run } = await h.executeWorkflow(n8n, userFolder, way.workflow.id, EXECUTE_TIMEOUT_MS);
  const wallS = (performance.now() - t0) / 1000;
  const cost = spent(before, await standIn.stats());
  const runData = run?.data?.resultData?.runData ?? {};
  // Every run of each node: Retry On Fail runs a node again from its first item.
  const nodeS = way.nodes.reduce((sum, node) => sum + (runData[node] ?? []).reduce((/** @type {number} */ s, /** @type {any} */ r) => s + (r.executionTime ?? 0), 0), 0) / 1000;
  const error = run?.data?.resultData?.error;
  const records = await standIn.records();
  const distinct = new Set(records.map((r) => r.fields.Key)).size;
  return { ok: code === 0 && !error, error: error ? String(error.message ?? error.name).slice(0, 80) : '', wallS, nodeS, ...cost, records: records.length, distinct };
}

/** 1 and 2: the upsert, the Larkbase node on every row and the HTTP Request node on a sample. @param {h.N8nInstall} n8n */
async function upserts(n8n) {
  const userFolder = h.freshUserFolder(n8n);
  /** @type {Array<Array<string | number>>} */
  const rows = [];
  try {
    // The Larkbase node: all the rows, twice.
    let standIn = await limitedStandIn(10);
    try {
      const way = withTheNode(standIn.url, { id: 'benchLimitNode001', rows: ROWS, appToken: APP_TOKEN, table: TABLE });
      await h.importInto(n8n, userFolder, 'workflow', way.workflow);
      for (const pass of ['1st: creates', '2nd: updates']) {
        const r = await execute(n8n, userFolder, standIn, way);
        if (!r.ok || r.distinct !== ROWS || r.records !== ROWS) throw new Error(`Larkbase node, ${pass}: ${JSON.stringify(r)}`);
        rows.push(['Larkbase node', pass, ROWS, 'yes', r.sent, r.refused, `${r.records} (${r.distinct} keys)`, fmt(r.nodeS, 2), fmt(r.wallS, 1), floor(r.passed, 10), '-']);
      }
    } finally {
      standIn.stop();
    }
    // The HTTP Request node, one call per item, on a sample, into an empty table each.
    /** @type {Array<[string, import('./larkbase').HttpSettings]>} */
    const settings = [
      ['HTTP Request per item, Retry On Fail (3 tries, 1 s apart)', { retry: { maxTries: 3, waitBetweenTries: 1000 } }],
      [
        'HTTP Request per item, Retry On Fail and Batching (10 items a second)',
        { retry: { maxTries: 3, waitBetweenTries: 1000 }, batching: { batchSize: 10, batchInterval: 1000 } },
      ],
    ];
    for (const [i, [name, setting]] of settings.entries()) {
      standIn = await limitedStandIn(10);
      try {
        const way = oneCallPerItem(standIn.url, { id: `benchLimitHttp00${i}`, rows: SAMPLE, appToken: APP_TOKEN, table: TABLE, settings: setting });
        await h.importInto(n8n, userFolder, 'workflow', way.workflow);
        const r = await execute(n8n, userFolder, standIn, way);
        const scale = ROWS / SAMPLE;
        rows.push([
          name,
          '1st: creates',
          SAMPLE,
          r.ok ? 'yes' : `no: ${r.error}`,
          r.sent,
          r.refused,
          `${r.records} (${r.distinct} keys)`,
          fmt(r.nodeS, 2),
          fmt(r.wallS, 1),
          floor(r.passed, 10),
          r.ok ? `${fmt((r.nodeS * scale) / 60, 1)} min, ${Math.round(r.sent * scale)} requests` : `never: it fails (${fmt((2 * ROWS) / 10 / 60, 1)} min at the floor)`,
        ]);
      } finally {
        standIn.stop();
      }
    }
  } finally {
    fs.rmSync(userFolder, { recursive: true, force: true });
  }
  table(`An upsert in real n8n ${n8n.version} against 10 Lark Base requests a second (n8n execute)`, [
    'way', 'run', 'rows', 'execution succeeded', 'requests sent', 'requests refused', 'records in the table', 'node time (s)', 'wall time (s)',
    'floor (s)', `EXTRAPOLATED to ${ROWS.toLocaleString('en')} rows at the sample's pace (× ${ROWS / SAMPLE})`,
  ], rows);
  console.log(
    "\nFloor: the requests that went through at 10 a second, in fixed one-second windows entered at a window's start. Node time: n8n's executionTime of the upsert's nodes, every run of them " +
      '(Retry On Fail runs a node again from its first item). Wall time: the whole `n8n execute`, start-up included. ' +
      `The one-call-per-item way ran on ${SAMPLE} rows only; its last column is an extrapolation, not a measure. ` +
      `Whatever its settings, it needs at least ${(2 * ROWS).toLocaleString('en')} requests (a search and a write per row) for ${ROWS.toLocaleString('en')} rows: ` +
      `${fmt((2 * ROWS) / 10 / 60, 1)} minutes at 10 a second.`,
  );
}

/** 3: 20 webhook executions at once, 10 items each, a search per item, at 5 requests a second. @param {h.N8nInstall} n8n */
async function concurrentExecutions(n8n) {
  const standIn = await limitedStandIn(5);
  const userFolder = h.freshUserFolder(n8n);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'larkbase-bench-limits-'));
  /** @type {{ stop: () => Promise<void> } | undefined} */
  let server;
  try {
    const count = EXECUTIONS * ITEMS_PER_EXECUTION;
    const keys = Array.from({ length: count }, (_, n) => `K-${String(n).padStart(6, '0')}`);
    await seedRecords(standIn.url, await demoToken(standIn.url), APP_TOKEN, TABLE, keys.map((Key) => ({ Key })));
    const webhook = { ...wf.webhookTrigger(WEBHOOK_PATH), parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', responseData: 'allEntries', options: {} } };
    const rowsNode = wf.makeRows(standIn.url, { count: ITEMS_PER_EXECUTION });
    // The rows of execution n: keys n × 10 to n × 10 + 9 (`count` 1 for the warm-up call).
    rowsNode.parameters.url = `=${standIn.url}/stand-in/items?kind=rows&count={{ $('Webhook').item.json.body.count ?? ${ITEMS_PER_EXECUTION} }}&from={{ $('Webhook').item.json.body.n * ${ITEMS_PER_EXECUTION} }}`;
    const search = wf.larkbase({
      baseUrl: standIn.url,
      accessToken: `={{ ${TOKEN} }}`,
      base: APP_TOKEN,
      table: TABLE,
      operation: 'search',
      parameters: { filters: { conditions: [{ field: 'Key', operator: 'is', value: '={{ $json.Key }}' }] }, returnAll: false, limit: 1 },
    });
    const workflow = wf.chain('benchLimitHook001', 'Webhook: a search per item', [webhook, wf.larkbaseGetToken({ baseUrl: standIn.url, ...DEMO_APP }), rowsNode, search]);
    await h.importInto(n8n, userFolder, 'workflow', workflow);
    const published = await h.n8nCli(n8n, userFolder, ['publish:workflow', `--id=${workflow.id}`]);
    if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.stdout}\n${published.stderr}`);
    const port = await h.freePort();
    const logFile = path.join(logDir, 'n8n.log');
    server = await h.startN8nProcess(n8n, userFolder, {
      command: 'start',
      env: { N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(await h.freePort()), N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}` },
      logFile,
      readyUrl: `http://127.0.0.1:${port}/healthz/readiness`,
      readyLine: /Editor is now accessible/,
    });
    const url = `http://127.0.0.1:${port}/webhook/${WEBHOOK_PATH}`;
    // One search first, alone (the module compiled, the token fetched), well under the limit.
    // n8n registers the published workflow's webhook a moment after it says it is ready.
    let warm;
    for (let tries = 0; ; tries++) {
      warm = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ n: 0, count: 1 }) });
      if (warm.status !== 404 || tries === 60) break;
      await warm.text();
      await sleep(500);
    }
    if (!warm.ok) throw new Error(`the warm-up execution failed: HTTP ${warm.status} ${(await warm.text()).slice(0, 300)}`);
    await sleep(1500);
    await nextWindow();
    const before = await standIn.stats();
    const t0 = performance.now();
    const results = await callWebhook(url, { count: EXECUTIONS, concurrency: EXECUTIONS, timeoutMs: 600_000 });
    const wallS = (performance.now() - t0) / 1000;
    const cost = spent(before, await standIn.stats());
    let items = 0;
    let executions = 0;
    for (const [n, r] of results.entries()) {
      const got = Array.isArray(r.body) ? r.body : [];
      const right = got.filter((record, i) => record?.fields?.Key === keys[n * ITEMS_PER_EXECUTION + i]).length;
      items += right;
      if (r.status === 200 && right === ITEMS_PER_EXECUTION) executions++;
    }
    const failed = results.filter((r) => r.status !== 200).map((r) => `HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 120)}`);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    table(`${EXECUTIONS} concurrent webhook executions of ${ITEMS_PER_EXECUTION} items in real n8n ${n8n.version} (regular mode), a Larkbase search per item, against 5 requests a second`, [
      'executions succeeded', 'items found', 'wall time (s)', 'floor (s)', 'requests sent', 'requests refused', 'slowest execution (s)', 'fastest execution (s)',
    ], [[`${executions} / ${EXECUTIONS}`, `${items} / ${count}`, fmt(wallS, 1), `${floor(cost.passed, 5)} (${count / 5} as the issue counts)`, cost.sent, cost.refused, fmt((ms.at(-1) ?? 0) / 1000, 1), fmt(ms[0] / 1000, 1)]]);
    if (failed.length) console.log(`\nFailed executions: ${failed.slice(0, 3).join('; ')}`);
  } catch (error) {
    const log = path.join(logDir, 'n8n.log');
    if (fs.existsSync(log)) fs.copyFileSync(log, path.join(os.tmpdir(), 'larkbase-bench-limits-n8n.log'));
    throw error;
  } finally {
    await server?.stop();
    standIn.stop();
    fs.rmSync(userFolder, { recursive: true, force: true });
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

async function main() {
  const { version } = h.N8N_LINES.find((l) => l.line === '2.x') ?? { version: '2.41.1' };
  const n8n = h.installN8n(version);
  const only = process.argv[2];
  if (only !== 'webhooks') await upserts(n8n);
  if (only !== 'upserts') await concurrentExecutions(n8n);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
