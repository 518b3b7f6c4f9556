// @ts-check
'use strict';
// n8n 2.x in queue mode, as teams that outgrow one process run it: private Redis and PostgreSQL,
// an n8n main that takes the webhooks and two workers that run the executions, each with this
// package installed in its own user folder. A production webhook workflow, Webhook → Larkbase Get
// Token (credential) → HTTP Request signed by the credential, is called in waves from 127.0.0.1.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { startStandIn, DEMO_RECORDS } = require('../lark-stand-in');
const { ARTIFACTS, QUEUE_SECRET, record } = require('../helpers');
const h = require('./n8n-harness');
const { CREDENTIAL, callWebhook, executionsStartedIn, startCluster } = require('./n8n-cluster');

const APP = { appId: 'cli_queue_mode_000001', appSecret: QUEUE_SECRET };
const WAVE = 200;
const CONCURRENCY = 20;
/** Each worker takes at most this many jobs at once, so a wave of 20 concurrent calls needs both. */
const WORKER_CONCURRENCY = 10;
/** Past Lark's 2-hour token lifetime. */
const LATER_S = 2 * 3600 + 60;
const LOG_DIR = path.join(ARTIFACTS, 'queue');
const line = h.N8N_LINES.find((l) => l.line === '2.x');

/** The pids of a process and all its descendants (n8n starts its task runners as children). */
function processTree(/** @type {number} */ pid) {
  const children = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of children) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
    }
  }
  return tree;
}

/** Every listening TCP socket on the machine: its local address and the pids that hold it. */
function listeningSockets() {
  return execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((row) => {
      const fields = row.trim().split(/\s+/);
      return { address: fields[3], pids: [...row.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])) };
    });
}

describe(`n8n ${line?.version ?? '2.x'} in queue mode: a main, two workers, Redis and PostgreSQL`, { skip: !line && 'LARKBASE_N8N_LINES leaves out 2.x' }, () => {
  /** @type {Awaited<ReturnType<typeof startStandIn>>} */
  let lark;
  /** @type {Awaited<ReturnType<typeof startCluster>>} */
  let cluster;
  const tokenRequests = () => lark.requests.filter((r) => r.path.includes('access_token')).length;
  const successes = () =>
    cluster.postgres
      .query(`SELECT id FROM execution_entity WHERE "workflowId" = '${cluster.workflowId}' AND status = 'success' AND finished`)
      .split('\n')
      .filter(Boolean);
  /** Execution ids per worker, from the workers' logs. */
  const ranBy = () => cluster.workers.map((w) => executionsStartedIn(w.logFile));

  /** One wave of webhook calls: every answer must be the records. */
  async function wave(/** @type {string} */ label) {
    const results = await callWebhook(cluster.webhookUrl, { count: WAVE, concurrency: CONCURRENCY });
    const wrong = results.filter((r) => r.status !== 200 || !isDeepStrictEqual(r.body?.data?.items, DEMO_RECORDS));
    assert.equal(wrong.length, 0, `${label}: ${wrong.length} calls did not answer with the records, e.g. ${JSON.stringify(wrong.slice(0, 3))}`);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    return { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] };
  }

  before(async () => {
    fs.rmSync(LOG_DIR, { recursive: true, force: true });
    lark = await startStandIn({ apps: { [APP.appId]: APP.appSecret }, rateLimitPerSecond: 10_000 });
    cluster = await startCluster({
      n8n: h.installN8n(/** @type {{ version: string }} */ (line).version),
      larkUrl: lark.url,
      app: APP,
      mode: 'queue',
      workers: 2,
      concurrency: WORKER_CONCURRENCY,
      logDir: LOG_DIR,
      // Every row PostgreSQL writes goes to its log too, so that the secret check sees them all.
      postgresSettings: { log_statement: 'mod' },
      clockFile: path.join(LOG_DIR, 'n8n-clock-offset'),
      redisMonitorFile: path.join(LOG_DIR, 'redis-monitor.log'),
    });
  });

  after(async () => {
    await cluster?.stop();
    await lark?.close();
  });

  test('every port the three n8n processes open is their own, on 127.0.0.1 only', () => {
    const sockets = listeningSockets();
    const processes = [cluster.main, ...cluster.workers].map((p) => {
      const tree = processTree(/** @type {number} */ (p.child.pid));
      return { name: p.name, addresses: sockets.filter((s) => s.pids.some((pid) => tree.has(pid))).map((s) => s.address) };
    });
    record('queue mode: listening sockets', processes);
    for (const { name, addresses } of processes) {
      // The main's HTTP server and task broker; a worker's health server and task broker.
      assert.ok(addresses.length >= 2, `${name} listens on ${addresses.join(', ')}`);
      for (const address of addresses) assert.match(address, /^127\.0\.0\.1:\d+$/, `${name} listens on ${address}`);
    }
  });

  test(`${WAVE} webhook calls at concurrency ${CONCURRENCY}: all answer with the records, run by both workers, one token request per worker`, async (t) => {
    const sentBefore = tokenRequests();
    const { p50, max } = await wave('first wave');
    const ids = successes();
    assert.equal(ids.length, WAVE, 'PostgreSQL holds a successful, finished execution for every call');
    // How we know both workers ran: each worker's log has an info line "Worker started execution
    // <id>" for every job it takes. The two sets are disjoint, both non-empty, and together they
    // are exactly the executions in PostgreSQL; the main ran none.
    const [a, b] = ranBy();
    assert.ok(a.size > 0 && b.size > 0, `worker 1 ran ${a.size}, worker 2 ran ${b.size}`);
    assert.equal([...a].filter((id) => b.has(id)).length, 0, 'no execution ran on both workers');
    assert.deepEqual(new Set([...a, ...b]), new Set(ids));
    assert.doesNotMatch(fs.readFileSync(cluster.main.logFile, 'utf8'), /Worker started execution/);
    // Each worker has its own module instance and token cache: each worker that ran an execution
    // sent at least one token request, since a token comes from nowhere else. So two requests in
    // all, with both workers having run, is exactly one per worker, and none from the main.
    assert.equal(tokenRequests() - sentBefore, 2, 'token requests at the stand-in during the wave');
    t.diagnostic(`worker 1 ran ${a.size}, worker 2 ran ${b.size}; 2 token requests; webhook answer p50 ${p50.toFixed(0)} ms, slowest ${max.toFixed(0)} ms`);
    record('queue mode: first wave', { executions: ids.length, worker1: a.size, worker2: b.size, tokenRequests: 2, p50, max });
  });

  test('past the token lifetime, the next wave succeeds with one refresh per worker', async (t) => {
    const [a0, b0] = ranBy();
    // Two hours pass for Lark (the stand-in's clock) and for n8n (libfaketime moves the realtime
    // clock of every n8n process; it reads the offset file at most a second late).
    lark.advanceClock(LATER_S);
    cluster.setClockOffset(LATER_S);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const sentBefore = tokenRequests();
    await wave('second wave');
    assert.equal(successes().length, 2 * WAVE);
    const [a, b] = ranBy();
    const [newA, newB] = [a.size - a0.size, b.size - b0.size];
    assert.ok(newA > 0 && newB > 0, `worker 1 ran ${newA}, worker 2 ran ${newB}`);
    // The cached tokens are past their lifetime for both sides; each worker refreshes once.
    assert.equal(tokenRequests() - sentBefore, 2, 'token requests at the stand-in during the second wave');
    t.diagnostic(`worker 1 ran ${newA}, worker 2 ran ${newB}; 2 token requests`);
    record('queue mode: second wave', { worker1: newA, worker2: newB, tokenRequests: 2 });
  });

  test("the App Secret is in no pg_dump, Redis key or value, or process's log", () => {
    const dump = cluster.postgres.dump();
    fs.writeFileSync(path.join(LOG_DIR, 'pg_dump.sql'), dump);
    assert.ok(dump.includes(CREDENTIAL.name) && dump.includes(DEMO_RECORDS[0].record_id), 'the dump holds the credential and the executions');
    assert.equal(dump.includes(QUEUE_SECRET), false, 'the App Secret is in the pg_dump');

    const redis = /** @type {NonNullable<typeof cluster.redis>} */ (cluster.redis);
    const keys = redis.dumpKeysAndValues();
    fs.writeFileSync(path.join(LOG_DIR, 'redis-keys.txt'), keys.text);
    assert.ok(keys.keys > 0, 'Redis holds keys');
    const rdb = redis.dumpRdb(path.join(LOG_DIR, 'redis-dump.rdb'));
    assert.equal(keys.text.includes(QUEUE_SECRET), false, 'the App Secret is in a Redis key or value');
    assert.equal(rdb.includes(QUEUE_SECRET), false, "the App Secret is in Redis's dump");

    // The logs of every process: the three n8n processes, the n8n CLI, PostgreSQL (with every row
    // written) and Redis, and every command Redis ran during the test.
    const logs = fs.readdirSync(LOG_DIR).filter((f) => f.endsWith('.log'));
    const text = (/** @type {string} */ name) => fs.readFileSync(path.join(LOG_DIR, name), 'utf8');
    assert.match(text('postgres.log'), /INSERT INTO [^(]*credentials_entity/, "PostgreSQL's log holds the rows written");
    assert.match(text('redis-monitor.log'), /"bull:/, "Redis's command log holds the job traffic");
    for (const name of logs) assert.equal(text(name).includes(QUEUE_SECRET), false, `the App Secret is in ${name}`);
    record('queue mode: secret checks', { pgDumpBytes: dump.length, redisKeys: keys.keys, rdbBytes: rdb.length, logs });
  });
});
