// @ts-check
'use strict';
// `npm run bench`, its Lark Base part: a 10,000-row upsert in real n8n, side by side from one run.
// The Larkbase node (batches, one lookup of the keys) against the way users do it today with n8n's
// HTTP Request node, one call per item: a search by key, then an IF node, then an update or a create
// of that one record. Both against the same Lark stand-in, in its own process, with writes that take
// no time (so the one-call-per-item way meets no write conflicts, which real Lark would return to its
// concurrent calls). Each way runs twice: into an empty table (all creates), then again (all updates).
// Prints the requests each way sent and its times; asserts only that both ways did the work.
// bench/limits-n8n.js builds its workflows with the two ways exported here.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const PKG = require(path.join(ROOT, 'package.json'));
const { DEMO_APP, SAMPLE_FIELDS } = require('../tests/lark-stand-in');
const h = require('../tests/e2e/n8n-harness');
const wf = require('../tests/e2e/workflows');
const { fmt, startStandInProcess, table } = require('./report');

const ROWS = Number(process.env.BENCH_ROWS ?? (process.env.BENCH_QUICK === '1' ? 1000 : 10_000));
const APP_TOKEN = 'bascnBenchUpsert0001';
const TABLES = { node: 'tblBenchNode00001', http: 'tblBenchHttp00001' };
const TOKEN = "$('Larkbase Get Token').item.json.access_token";
/** Ten minutes per execution: the one-call-per-item way makes 20,000 calls. */
const EXECUTE_TIMEOUT_MS = 600_000;

async function startStandInWithBase() {
  const { url, stop } = await startStandInProcess({ LARK_STAND_IN_WRITE_LATENCY_MS: '0' });
  const created = await fetch(`${url}/stand-in/bases`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ appToken: APP_TOKEN, tables: Object.values(TABLES).map((tableId) => ({ tableId, name: tableId, sample: true })) }),
  });
  if (!created.ok) throw new Error(`the stand-in did not create the base: ${created.status}`);
  return {
    url,
    /** @returns {Promise<{ tokenRequests: number, baseRequests: number, base: { writeConflicts: number } }>} */
    stats: async () => (await fetch(`${url}/stand-in/stats`)).json(),
    /** @param {string} tableId */
    records: async (tableId) => /** @type {unknown[]} */ ((await (await fetch(`${url}/stand-in/records?app=${APP_TOKEN}&table=${tableId}`)).json())),
    stop,
  };
}

/**
 * How the HTTP Request nodes of the one-call-per-item way are set: n8n's defaults, or what a
 * careful user sets against a rate limit (Options → Batching; Settings → Retry On Fail).
 *
 * @typedef {{ batching?: { batchSize: number, batchInterval: number }, retry?: { maxTries: number, waitBetweenTries: number } }} HttpSettings
 */

/**
 * n8n's HTTP Request node with the token from Larkbase Get Token.
 *
 * @param {string} name @param {string} method @param {string} url @param {string | undefined} jsonBody
 * @param {[number, number]} position
 * @param {HttpSettings} [settings]
 * @returns {import('../tests/e2e/workflows').WorkflowNode}
 */
function http(name, method, url, jsonBody, position, settings = {}) {
  return {
    id: name.replace(/\W+/g, '-').toLowerCase(),
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: {
      method,
      url,
      sendHeaders: true,
      headerParameters: { parameters: [{ name: 'Authorization', value: `=Bearer {{ ${TOKEN} }}` }] },
      ...(jsonBody ? { sendBody: true, specifyBody: 'json', jsonBody } : {}),
      options: settings.batching ? { batching: { batch: settings.batching } } : {},
    },
    ...(settings.retry ? { retryOnFail: true, ...settings.retry } : {}),
  };
}

/**
 * The way people upsert today: for each item, a search by key; IF a record came back, update it,
 * else create one. The values are put into Lark's forms by hand in the expressions (the date as
 * Unix milliseconds), as they must be there.
 *
 * @param {string} url
 * @param {{ id?: string, rows?: number, appToken?: string, table?: string, settings?: HttpSettings }} [options]
 */
function oneCallPerItem(url, { id = 'benchHttpUpsert1', rows = ROWS, appToken = APP_TOKEN, table: tableId = TABLES.http, settings = {} } = {}) {
  const records = `${url}/open-apis/bitable/v1/apps/${appToken}/tables/${tableId}/records`;
  const row = "$('Make rows').item.json";
  const fields = `{ Key: ${row}.Key, Name: ${row}.Name, Amount: ${row}.Amount, Status: ${row}.Status, Due: new Date(${row}.Due).getTime(), Paid: ${row}.Paid }`;
  const find = http(
    'Find by key',
    'POST',
    `${records}/search?page_size=1`,
    '={{ JSON.stringify({ filter: { conjunction: "and", conditions: [{ field_name: "Key", operator: "is", value: [$json.Key] }] } }) }}',
    [660, 0],
    settings,
  );
  /** @type {import('../tests/e2e/workflows').WorkflowNode} */
  const found = {
    id: 'found',
    name: 'Found?',
    type: 'n8n-nodes-base.if',
    typeVersion: 2,
    position: [880, 0],
    parameters: {
      conditions: {
        options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
        conditions: [{ id: 'found-total', leftValue: '={{ $json.data.total }}', rightValue: 0, operator: { type: 'number', operation: 'gt' } }],
        combinator: 'and',
      },
      options: {},
    },
  };
  const update = http('Update record', 'PUT', `=${records}/{{ $json.data.items[0].record_id }}`, `={{ JSON.stringify({ fields: ${fields} }) }}`, [1100, -100], settings);
  const create = http('Create record', 'POST', records, `={{ JSON.stringify({ fields: ${fields} }) }}`, [1100, 100], settings);
  const workflow = wf.chain(id, `Upsert ${rows} rows, one HTTP call per item`, [
    wf.manualTrigger(),
    wf.larkbaseGetToken({ baseUrl: url, ...DEMO_APP }),
    wf.makeRows(url, { count: rows }),
    find,
    found,
  ]);
  workflow.nodes.push(update, create);
  workflow.connections['Found?'] = {
    main: [[{ node: update.name, type: 'main', index: 0 }], [{ node: create.name, type: 'main', index: 0 }]],
  };
  return { workflow, nodes: [find.name, found.name, update.name, create.name] };
}

/**
 * @param {string} url
 * @param {{ id?: string, rows?: number, appToken?: string, table?: string }} [options]
 */
function withTheNode(url, { id = 'benchNodeUpsert1', rows = ROWS, appToken = APP_TOKEN, table: tableId = TABLES.node } = {}) {
  const workflow = wf.chain(id, `Upsert ${rows} rows with the Larkbase node`, [
    wf.manualTrigger(),
    wf.larkbaseGetToken({ baseUrl: url, ...DEMO_APP }),
    wf.makeRows(url, { count: rows }),
    wf.larkbase({ baseUrl: url, accessToken: `={{ ${TOKEN} }}`, base: appToken, table: tableId, operation: 'upsert', keys: ['Key'] }),
  ]);
  return { workflow, nodes: ['Larkbase'] };
}

async function main() {
  if (!process.argv.includes('--section')) {
    console.log(`# Benchmarks: ${PKG.name} ${PKG.version}, Lark Base\n`);
    console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node.js ${process.version}`);
  }
  const standIn = await startStandInWithBase();
  const version = h.N8N_LINES.find((l) => l.line === '2.x')?.version ?? h.N8N_LINES[0].version;
  const n8n = h.installN8n(version);
  const userFolder = h.freshUserFolder(n8n);
  try {
    const ways = { 'Larkbase node': withTheNode(standIn.url), 'HTTP Request, one call per item': oneCallPerItem(standIn.url) };
    for (const { workflow } of Object.values(ways)) await h.importInto(n8n, userFolder, 'workflow', workflow);
    /** @type {Array<Array<string | number>>} */
    const rows = [];
    for (const pass of ['1st: into an empty table (creates)', '2nd: the same rows again (updates)']) {
      for (const [name, way] of Object.entries(ways)) {
        const before = await standIn.stats();
        const t0 = process.hrtime.bigint();
        const { code, run } = await h.executeWorkflow(n8n, userFolder, way.workflow.id, EXECUTE_TIMEOUT_MS);
        const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
        if (code !== 0) throw new Error(`${name} failed: ${JSON.stringify(run?.data?.resultData?.error)?.slice(0, 500)}`);
        const after = await standIn.stats();
        const runData = run.data.resultData.runData;
        const nodeMs = way.nodes.reduce((sum, node) => sum + (runData[node]?.[0]?.executionTime ?? 0), 0);
        const tableId = name.startsWith('Larkbase') ? TABLES.node : TABLES.http;
        const stored = (await standIn.records(tableId)).length;
        if (stored !== ROWS) throw new Error(`${name}: ${stored} records in the table, not ${ROWS}`);
        rows.push([
          name,
          pass,
          after.baseRequests - before.baseRequests,
          after.tokenRequests - before.tokenRequests,
          fmt(nodeMs / 1000, 2),
          fmt(wallS, 1),
          after.base.writeConflicts - before.base.writeConflicts,
        ]);
      }
    }
    table(`A ${ROWS.toLocaleString('en')}-row upsert in real n8n ${version}, against the Lark stand-in`, [
      'way', 'run', 'Lark Base requests', 'token requests', 'node time (s)', 'n8n execute wall time (s)', 'write conflicts',
    ], rows);
    const [nodeFirst, httpFirst] = rows;
    console.log(
      `\nRequests, first run: ${httpFirst[2]} one call per item against ${nodeFirst[2]} with the node ` +
        `(${fmt(Number(httpFirst[2]) / Number(nodeFirst[2]), 0)}× fewer); node time ${fmt(Number(httpFirst[4]) / Number(nodeFirst[4]), 1)}× shorter.`,
    );
    console.log(`Columns: ${SAMPLE_FIELDS.slice(0, 7).map((f) => f.name).join(', ')} (the stand-in's sample table); key: Key.`);
  } finally {
    standIn.stop();
    fs.rmSync(userFolder, { recursive: true, force: true });
  }
}

module.exports = { EXECUTE_TIMEOUT_MS, TOKEN, oneCallPerItem, withTheNode };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
