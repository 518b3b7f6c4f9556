// @ts-check
'use strict';
// `npm run bench`, its Larkbase Trigger part:
// - the webhook path: how many requests a second the trigger answers, Lark's challenge and record
//   events, encrypted and signed as Lark sends them; in the package alone (handleLarkEvent, one
//   process, no HTTP), and through real n8n 2.41.1's production webhook route, where each record
//   event also starts an execution (the answer comes before the execution runs);
// - polling: what one poll of a 10,000-record table costs, with nothing new and with 100 changed
//   records (requests to Lark Base and time), through pollTable against the stand-in.
// The stand-in runs in a process of its own. Prints tables; asserts only that the work was done.

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { DEMO_APP } = require('../tests/lark-stand-in');
const ev = require('../tests/lark-events-stand-in');
const h = require('../tests/e2e/n8n-harness');
const wf = require('../tests/e2e/workflows');
const { fmt, startStandInProcess, table } = require('./report');
const pkg = require('..');

const QUICK = process.env.BENCH_QUICK === '1';
/** `package`, `n8n` or `polling`: one section only (all by default). */
const ONLY = process.env.BENCH_ONLY;
const TOKEN = 'bench-verification-token-0001';
const KEY = 'bench-encrypt-key-0001';
const APP_TOKEN = 'bascnBenchEvents0001';
const TABLE = 'tblBenchEvents001';
const POLLED = 'tblBenchPolled001';
const ROWS = QUICK ? 2000 : 10_000;
const CHANGES = 100;

/** Percentile of sorted numbers. */
const pct = (/** @type {number[]} */ sorted, /** @type {number} */ p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const standIn = await startStandInProcess();
  try {
    const credential = { ...DEMO_APP, domain: standIn.url };
    const created = await fetch(`${standIn.url}/stand-in/bases`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        appToken: APP_TOKEN,
        tables: [
          { tableId: TABLE, name: 'Events', sample: true },
          { tableId: POLLED, name: 'Polled', fields: [{ name: 'Key', type: 1, isPrimary: true }, { name: 'Status', type: 3 }, { name: 'Modified', type: 1002 }] },
        ],
      }),
    });
    if (!created.ok) throw new Error(`the stand-in did not create the base: ${created.status}`);
    const { fields } = /** @type {{ fields: Array<{ field_id: string, field_name: string, type: number }> }} */ (
      await pkg.listFields({ base: APP_TOKEN, table: TABLE, credential })
    );
    const byName = Object.fromEntries(fields.map((f) => [f.field_name, f]));
    const recordEvent = () =>
      ev.schema2('drive.file.bitable_record_changed_v1', {
        file_token: APP_TOKEN,
        file_type: 'bitable',
        table_id: TABLE,
        operator_id: { open_id: 'ou_bench' },
        update_time: Math.floor(Date.now() / 1000),
        action_list: [{ record_id: 'recBench0001', action: 'record_added', after_value: [ev.eventCell(byName.Key, 'K-1'), ev.eventCell(byName.Amount, 12.5)] }],
      }, { token: TOKEN, appId: DEMO_APP.appId });
    if (!ONLY || ONLY === 'package') await inPackage(credential, recordEvent);
    if (!ONLY || ONLY === 'n8n') await throughN8n(standIn.url, recordEvent);
    if (!ONLY || ONLY === 'polling') await polling(standIn, credential);
  } finally {
    standIn.stop();
  }
}

/** handleLarkEvent alone: requests judged (and record events turned into items) a second. */
async function inPackage(/** @type {any} */ credential, /** @type {() => object} */ recordEvent) {
  const count = QUICK ? 2000 : 20_000;
  const input = (/** @type {Record<string, string>} */ headers) => ({
    timestamp: headers['X-Lark-Request-Timestamp'],
    nonce: headers['X-Lark-Request-Nonce'],
    signature: headers['X-Lark-Signature'],
    encryptKey: KEY,
    verificationToken: TOKEN,
    scope: 'bench',
    seen: [],
    base: APP_TOKEN,
    table: TABLE,
  });
  const rows = [];
  for (const [kind, make] of /** @type {Array<[string, () => object]>} */ ([['challenge', () => ev.challenge(TOKEN)], ['record event', recordEvent]])) {
    const sealed = Array.from({ length: count }, () => ev.seal(make(), { encryptKey: KEY }));
    await pkg.handleLarkEvent(sealed[0].body, input(sealed[0].headers), credential); // columns read once
    const t0 = process.hrtime.bigint();
    let accepted = 0;
    for (const { body, headers } of sealed) {
      const out = await pkg.handleLarkEvent(body, input(headers), credential);
      if (out.status === 200) accepted++;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (accepted !== count) throw new Error(`${kind}: ${accepted} of ${count} accepted`);
    rows.push([kind, count, fmt(count / s, 0), fmt((s / count) * 1e6, 1)]);
  }
  table('Larkbase Trigger: the webhook path in the package (handleLarkEvent, encrypted and signed, one after another)', ['request', 'requests', 'per second', 'µs each'], rows);
}

/**
 * One POST on a connection of its own: n8n closes idle keep-alive connections after 5 s, which
 * fetch's pool can meet mid-request on a busy server.
 *
 * @param {string} url @param {{ body: Buffer, headers: Record<string, string> }} request
 * @returns {Promise<number>} the status (-200: a 200 that is not the trigger's answer)
 */
function postOnce(url, { body, headers }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': body.length }, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        // Only the trigger's own answers count: a starting n8n answers 200 "n8n is starting up".
        let json;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        const trigger = json && (typeof json.challenge === 'string' || json.code === 0);
        resolve(res.statusCode === 200 && !trigger ? -200 : (res.statusCode ?? 0));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The same through real n8n's production webhook route, 20 at a time. */
async function throughN8n(/** @type {string} */ larkUrl, /** @type {() => object} */ recordEvent) {
  // BENCH_N8N_VERSION: another n8n (1.123.50, say); 2.41.1 by default.
  const version = process.env.BENCH_N8N_VERSION ?? '2.41.1';
  const n8n = h.installN8n(version);
  const userFolder = h.freshUserFolder(n8n);
  const logFile = path.join(os.tmpdir(), `bench-trigger-${Date.now()}.log`);
  const credential = { id: 'benchTrigCred001', name: 'Larkbase API (bench)' };
  const webhookId = wf.fixedWebhookId('bench-events');
  await h.importInto(n8n, userFolder, 'credentials', [
    wf.larkbaseCredential(credential.id, credential.name, { ...DEMO_APP, baseUrl: larkUrl, verificationToken: TOKEN, encryptKey: KEY }),
  ]);
  const noOp = { id: 'noop', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: /** @type {[number, number]} */ ([220, 0]), parameters: {} };
  await h.importInto(n8n, userFolder, 'workflow', wf.chain('wfBenchTrigger01', 'Bench: record events', [
    wf.larkbaseTrigger({ webhookId, credential, parameters: { mode: 'events', event: 'records', base: { __rl: true, mode: 'id', value: APP_TOKEN } } }),
    noOp,
  ]));
  const activate = version.startsWith('1.') ? ['update:workflow', '--id=wfBenchTrigger01', '--active=true'] : ['publish:workflow', '--id=wfBenchTrigger01'];
  await h.n8nCli(n8n, userFolder, activate);
  const port = await h.freePort();
  // BENCH_N8N_EXPRESSION_ENGINE sets n8n's N8N_EXPRESSION_ENGINE (2.41.1's default: vm, one isolate).
  /** @type {Record<string, string>} */
  const engine = {};
  if (process.env.BENCH_N8N_EXPRESSION_ENGINE) engine.N8N_EXPRESSION_ENGINE = process.env.BENCH_N8N_EXPRESSION_ENGINE;
  if (process.env.BENCH_N8N_POOL_SIZE) engine.N8N_EXPRESSION_ENGINE_POOL_SIZE = process.env.BENCH_N8N_POOL_SIZE;
  const started = await h.startN8nProcess(n8n, userFolder, {
    command: 'start',
    env: { N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(await h.freePort()), N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`, ...engine },
    logFile,
    readyUrl: `http://127.0.0.1:${port}/rest/settings`,
  });
  const server = { url: `http://127.0.0.1:${port}`, stop: () => started.stop() };
  const url = `${server.url}/webhook/${webhookId}/lark`;
  try {
    // n8n answers HTTP before it has activated its workflows: wait for the webhook.
    const deadline = Date.now() + 120_000;
    while ((await postOnce(url, ev.seal(ev.challenge(TOKEN), { encryptKey: KEY }))) !== 200) {
      if (Date.now() > deadline) throw new Error('the trigger workflow was not activated within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const rows = [];
    const concurrency = 20;
    for (const [kind, make, count] of /** @type {Array<[string, () => object, number]>} */ ([
      ['challenge', () => ev.challenge(TOKEN), QUICK ? 200 : 1000],
      ['record event', recordEvent, QUICK ? 100 : 500],
    ])) {
      await postOnce(url, ev.seal(make(), { encryptKey: KEY }));
      const ms = /** @type {number[]} */ ([]);
      let next = 0;
      let ok = 0;
      /** @type {Record<number, number>} */
      const statuses = {};
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            next++;
            const sealed = ev.seal(make(), { encryptKey: KEY });
            const t = process.hrtime.bigint();
            const status = await postOnce(url, sealed);
            ms.push(Number(process.hrtime.bigint() - t) / 1e6);
            if (status === 200) ok++;
            statuses[status] = (statuses[status] ?? 0) + 1;
          }
        }),
      );
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      ms.sort((a, b) => a - b);
      if (ok !== count) throw new Error(`${kind} through n8n: ${ok} of ${count} answered 200 (${JSON.stringify(statuses)})`);
      rows.push([kind, count, fmt(count / s, 0), fmt(pct(ms, 50), 1), fmt(pct(ms, 99), 1)]);
      console.error(`bench/events: ${kind} through n8n done`);
    }
    const settings = Object.entries(engine).map(([k, v]) => `${k}=${v}`).join(', ') || 'default settings';
    table(`Larkbase Trigger: the webhook path through n8n ${version}'s production route, ${settings} (encrypted and signed, 20 at a time; each record event starts an execution)`, ['request', 'requests', 'answered per second', 'p50 ms', 'p99 ms'], rows);
  } finally {
    await server.stop();
    fs.rmSync(userFolder, { recursive: true, force: true });
  }
}

/** One poll of a 10,000-record table: the first (from now), with nothing new, with 100 changed. */
async function polling(/** @type {{ url: string }} */ standIn, /** @type {any} */ credential) {
  const rows = Array.from({ length: ROWS }, (_, n) => ({ fields: { Key: `K-${n}` } }));
  await pkg.createRecords({ base: APP_TOKEN, table: POLLED, rows, credential });
  const baseRequests = async () => (await (await fetch(`${standIn.url}/stand-in/stats`)).json()).baseRequests;
  /** @type {any} */
  let position;
  const poll = async (/** @type {string} */ label, /** @type {number} */ expected) => {
    const before = await baseRequests();
    const t0 = process.hrtime.bigint();
    const out = await pkg.pollTable({ base: APP_TOKEN, table: POLLED, column: 'Modified', position, credential });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (out.records.length !== expected) throw new Error(`${label}: ${out.records.length} records, expected ${expected}`);
    position = out.position;
    return [label, out.records.length, (await baseRequests()) - before, fmt(ms, 1)];
  };
  const results = [await poll('first poll (starts from the newest; the columns read)', 0), await poll('nothing new', 0)];
  const { records } = await pkg.searchRecords({ base: APP_TOKEN, table: POLLED, credential, limit: CHANGES });
  await new Promise((resolve) => setTimeout(resolve, 5));
  await pkg.updateRecords({ base: APP_TOKEN, table: POLLED, credential, rows: records.map((r) => ({ recordId: r.record_id, fields: { Status: 'Changed' } })) });
  results.push(await poll(`${CHANGES} changed`, CHANGES), await poll('nothing new again', 0));
  table(`Larkbase Trigger: one poll of a ${ROWS.toLocaleString('en')}-record table (pollTable, by Last modified time)`, ['poll', 'records out', 'Lark Base requests', 'ms'], results);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
