// @ts-check
'use strict';
// `npm run bench`: this package side by side with its peers, in one run, against the same local
// Lark stand-in (in its own process, so that the server does not share the client's event loop).
// Peers: bare global fetch (the floor), an axios.post as the original Larkbase node made it, and
// the official Lark SDK's token path. Prints one table per measure, with ratios; asserts nothing.
// Last, the memory benchmark (bench/memory.js; BENCH_SKIP_MEMORY=1 leaves it out).

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.join(__dirname, '..');
const PKG = require(path.join(ROOT, 'package.json'));
const { DEMO_APP } = require('../tests/lark-stand-in');
const { fmt, startStandInProcess, table } = require('./report');
const QUICK = process.env.BENCH_QUICK === '1';
const SEQUENTIAL = QUICK ? 300 : 2000;
const CONCURRENT = QUICK ? 640 : 4000;
const CACHED = QUICK ? 20_000 : 100_000;
const WARMUP = QUICK ? 50 : 200;
const CONCURRENCY = 64;
const STAMPEDE = 1000;

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

/** @param {number[]} samples @param {number} q */
const quantile = (samples, q) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const nowNs = () => process.hrtime.bigint();
const us = (/** @type {bigint} */ ns) => Number(ns) / 1000;



/**
 * An empty cache with the SDK's cache interface.
 *
 * @returns {import('@larksuiteoapi/node-sdk').Cache}
 */
function coldCache() {
  /** @type {Map<string, { value: unknown, expiresAt: number }>} */
  const entries = new Map();
  /** @param {unknown} key @param {{ namespace?: string } | undefined} options */
  const keyOf = (key, options) => `${options?.namespace}/${String(key)}`;
  return {
    async get(key, options) {
      const entry = entries.get(keyOf(key, options));
      return entry && entry.expiresAt > Date.now() ? entry.value : undefined;
    },
    async set(key, value, expiresAt, options) {
      entries.set(keyOf(key, options), { value, expiresAt: expiresAt ?? Infinity });
      return true;
    },
  };
}

/** The clients compared, each a function that gets one tenant token, uncached. */
function clients(/** @type {string} */ url) {
  const { getToken } = require(ROOT);
  const axios = require('axios');
  const lark = require('@larksuiteoapi/node-sdk');
  const body = { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret };
  const neverCached = { get: async () => undefined, set: async () => true };
  const sdkUncached = new lark.Client({ ...DEMO_APP, domain: url, cache: neverCached, loggerLevel: lark.LoggerLevel.error });
  return {
    'this package (cache off)': () =>
      getToken({ ...DEMO_APP, domain: url, cache: false, maxAttempts: 1 }).then((/** @type {{ access_token: string }} */ t) => t.access_token),
    'bare fetch (floor)': () =>
      fetch(`${url}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
      })
        .then((r) => r.json())
        .then((j) => j.tenant_access_token),
    // What this package asks of fetch, done in plain JS: the same init (no redirects, a timeout
    // signal) and the same body reading (a stream, counted and decoded chunk by chunk).
    'bare fetch, same init and reading': async () => {
      const response = await fetch(`${url}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader();
      const decoder = new TextDecoder();
      let text = '';
      let bytes = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        bytes += chunk.value.byteLength;
        if (bytes > 1 << 20) throw new Error('too big');
        text += decoder.decode(chunk.value, { stream: true });
      }
      return JSON.parse(text).tenant_access_token;
    },
    'axios.post (original node)': () => axios.post(`${url}${TOKEN_PATH}`, body).then((r) => r.data.tenant_access_token),
    'Lark SDK (cache off)': () => sdkUncached.tokenManager.getTenantAccessToken(),
  };
}

/**
 * One call of each client in turn, `count` times, so that machine noise and warm-up drift fall on
 * every client alike.
 *
 * @param {Record<string, () => Promise<unknown>>} calls
 * @param {number} count
 */
async function interleaved(calls, count) {
  const names = Object.keys(calls);
  for (let i = 0; i < WARMUP; i++) for (const name of names) await calls[name]();
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < count; i++) {
    for (const name of names) {
      const t0 = nowNs();
      await calls[name]();
      samples[name].push(us(nowNs() - t0));
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const total = samples[name].reduce((a, b) => a + b, 0);
      return [name, { p50: quantile(samples[name], 0.5), p99: quantile(samples[name], 0.99), rps: (count * 1e6) / total }];
    }),
  );
}

/** @param {() => Promise<unknown>} call */
async function concurrent(call) {
  /** @type {number[]} */
  const samples = [];
  let next = 0;
  const started = nowNs();
  const worker = async () => {
    while (next < CONCURRENT) {
      next++;
      const t0 = nowNs();
      await call();
      samples.push(us(nowNs() - t0));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(nowNs() - started) / 1e9;
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), rps: CONCURRENT / seconds };
}

/** Median wall time of `node <args>` over several fresh processes, in ms. */
function coldStart(/** @type {string[]} */ args, runs = QUICK ? 5 : 15) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowNs();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    times.push(Number(nowNs() - t0) / 1e6);
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  }
  return quantile(times, 0.5);
}

/** Size on disk of a package and everything it depends on, as installed here. */
function installedSize(/** @type {string} */ name) {
  const seen = new Set();
  let bytes = 0;
  const visit = (/** @type {string} */ pkgName, /** @type {string} */ from) => {
    let dir;
    try {
      dir = path.dirname(require.resolve(`${pkgName}/package.json`, { paths: [from] }));
    } catch {
      return;
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    bytes += Number(execFileSync('du', ['-sb', '--exclude=node_modules', dir], { encoding: 'utf8' }).split('\t')[0]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir);
  };
  visit(name, ROOT);
  return { bytes, packages: seen.size };
}

async function n8nBench(/** @type {string} */ url, /** @type {() => Promise<number>} */ tokenRequests) {
  const h = require('../tests/e2e/n8n-harness');
  const wf = require('../tests/e2e/workflows');
  const version = h.N8N_LINES.find((l) => l.line === '2.x')?.version ?? h.N8N_LINES[0].version;
  const n8n = h.installN8n(version);
  const userFolder = h.freshUserFolder(n8n);
  // The same 1,000 items through n8n's No Operation node: what n8n itself costs per item.
  const noOp = { id: 'no-op', name: 'No Operation', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: /** @type {[number, number]} */ ([440, 0]), parameters: {} };
  await h.importInto(n8n, userFolder, 'workflow', [
    wf.chain('benchThousand001', '1,000 items', [
      wf.manualTrigger(),
      wf.makeItems(url, 1000),
      wf.larkbaseGetToken({ baseUrl: url, ...DEMO_APP, position: [440, 0] }),
    ]),
    wf.chain('benchNoOp0000001', '1,000 items, no operation', [wf.manualTrigger(), wf.makeItems(url, 1000), noOp]),
  ]);
  /** Median node execution time over a few executions, and the token requests of the last. */
  const measure = async (/** @type {string} */ id, /** @type {string} */ nodeName) => {
    const times = [];
    let upstream = 0;
    let items = 0;
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      const before = await tokenRequests();
      const { run, code } = await h.executeWorkflow(n8n, userFolder, id);
      if (code !== 0) throw new Error(`the n8n benchmark workflow ${id} failed`);
      const node = run.data.resultData.runData[nodeName][0];
      times.push(node.executionTime);
      items = node.data.main[0].length;
      upstream = (await tokenRequests()) - before;
    }
    return { ms: quantile(times, 0.5), items, upstream };
  };
  const ours = await measure('benchThousand001', 'Larkbase Get Token');
  const baseline = await measure('benchNoOp0000001', 'No Operation');
  fs.rmSync(userFolder, { recursive: true, force: true });
  return { version, ours, baseline };
}

async function main() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# Benchmarks: ${PKG.name} ${PKG.version}\n`);
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}${QUICK ? ' (BENCH_QUICK=1: fewer samples)' : ''}`);
  const standIn = await startStandInProcess();
  try {
    // 1. Cold start.
    const entry = JSON.stringify(ROOT);
    const base = coldStart(['-e', '0']);
    const requireOnly = coldStart(['-e', `require(${entry})`]);
    const firstToken = coldStart(['-e', `require(${entry}).getToken({ appId: ${JSON.stringify(DEMO_APP.appId)}, appSecret: ${JSON.stringify(DEMO_APP.appSecret)}, domain: ${JSON.stringify(standIn.url)} }).then(() => {}, (e) => { console.error(e.code); process.exit(1); })`]);
    const firstFetch = coldStart(['-e', `fetch(${JSON.stringify(`${standIn.url}${TOKEN_PATH}`)}, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.json())`]);
    const requireAxios = coldStart(['-e', "require('axios')"]);
    const requireSdk = coldStart(['-e', "require('@larksuiteoapi/node-sdk')"]);
    table('Cold start (median wall time of a fresh process)', ['process', 'ms', 'over node -e 0'], [
      ['node -e 0', fmt(base), '-'],
      [`require('${PKG.name}')`, fmt(requireOnly), `+${fmt(requireOnly - base)} ms`],
      ['require + first getToken (compile, instantiate, call)', fmt(firstToken), `+${fmt(firstToken - base)} ms`],
      ['first bare fetch of the same endpoint (loads undici)', fmt(firstFetch), `+${fmt(firstFetch - base)} ms`],
      ["require('axios')", fmt(requireAxios), `+${fmt(requireAxios - base)} ms`],
      ["require('@larksuiteoapi/node-sdk')", fmt(requireSdk), `+${fmt(requireSdk - base)} ms`],
    ]);

    // 2. Uncached calls.
    const candidates = clients(standIn.url);
    const seqResults = await interleaved(candidates, SEQUENTIAL);
    /** @type {Record<string, { seq: { p50: number, p99: number, rps: number }, con: Awaited<ReturnType<typeof concurrent>> }>} */
    const results = {};
    for (const [name, call] of Object.entries(candidates)) {
      results[name] = { seq: seqResults[name], con: await concurrent(call) };
    }
    const floor = results['bare fetch (floor)'];
    table(`Uncached token calls: ${SEQUENTIAL} sequential, ${CONCURRENT} at concurrency ${CONCURRENCY} (µs; req/s)`, [
      'client', 'seq p50', 'seq p99', 'seq req/s', 'p50 vs floor', 'c64 p50', 'c64 p99', 'c64 req/s', 'c64 req/s vs floor',
    ], Object.entries(results).map(([name, { seq, con }]) => [
      name,
      fmt(seq.p50), fmt(seq.p99), fmt(seq.rps, 0),
      `${fmt(seq.p50 / floor.seq.p50, 2)}× (${seq.p50 >= floor.seq.p50 ? '+' : ''}${fmt(seq.p50 - floor.seq.p50)} µs)`,
      fmt(con.p50), fmt(con.p99), fmt(con.rps, 0), `${fmt(con.rps / floor.con.rps, 2)}×`,
    ]));

    // 3. Cached calls.
    const { getToken, clearTokenCache } = require(ROOT);
    const lark = require('@larksuiteoapi/node-sdk');
    const sdkCached = new lark.Client({ ...DEMO_APP, domain: standIn.url, loggerLevel: lark.LoggerLevel.error });
    const cachedCalls = {
      'this package (cache on)': () => getToken({ ...DEMO_APP, domain: standIn.url }),
      'Lark SDK (cache on)': () => sdkCached.tokenManager.getTenantAccessToken(),
    };
    const cached = await interleaved(cachedCalls, CACHED);
    const cachedRows = Object.entries(cached).map(([name, r]) => [name, fmt(r.p50, 2), fmt(r.p99, 2)]);
    const [ours, sdk] = cachedRows.map((r) => Number(r[1]));
    table(`Cached token calls, ${CACHED} sequential (µs)`, ['client', 'p50', 'p99'], [
      ...cachedRows,
      ['ratio (this package / SDK, p50)', fmt(ours / sdk, 2), '-'],
    ]);

    // 4. Cold-cache stampede.
    clearTokenCache();
    const stampedeRows = [];
    const stampedeCalls = {
      'this package': () => getToken({ ...DEMO_APP, domain: standIn.url }),
      'Lark SDK': (() => {
        // The SDK's default cache is shared by all its clients in a process, and is warm by now:
        // this client gets a cold one that behaves the same (a map with expiry times).
        const fresh = new lark.Client({ ...DEMO_APP, domain: standIn.url, cache: coldCache(), loggerLevel: lark.LoggerLevel.error });
        return () => fresh.tokenManager.getTenantAccessToken();
      })(),
    };
    for (const [name, call] of Object.entries(stampedeCalls)) {
      const before = await standIn.tokenRequests();
      const t0 = nowNs();
      await Promise.all(Array.from({ length: STAMPEDE }, call));
      const ms = Number(nowNs() - t0) / 1e6;
      stampedeRows.push([name, (await standIn.tokenRequests()) - before, fmt(ms)]);
    }
    table(`Cold-cache stampede: ${STAMPEDE} concurrent callers, one app`, ['client', 'upstream requests', 'wall ms'], stampedeRows);

    // 5. Footprint.
    const wasm = fs.readFileSync(path.join(ROOT, 'pkg', 'larkbase_get_token_bg.wasm'));
    const baseWasm = fs.readFileSync(path.join(ROOT, 'pkg', 'larkbase_base_bg.wasm'));
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const axiosSize = installedSize('axios');
    const sdkSize = installedSize('@larksuiteoapi/node-sdk');
    const kib = (/** @type {number} */ b) => `${fmt(b / 1024)} KiB`;
    const mb = (/** @type {number} */ b) => `${fmt(b / 1e6, 2)} MB`;
    table('Footprint', ['what', 'size', 'target'], [
      ['token module .wasm, raw', kib(wasm.length), '≤ 125 KiB (aim 100)'],
      ['token module .wasm, gzip -9', kib(zlib.gzipSync(wasm, { level: 9 }).length), '≤ 55 KiB (aim 45)'],
      ['Lark Base module .wasm, raw (loaded by the Larkbase node only)', kib(baseWasm.length), '-'],
      ['Lark Base module .wasm, gzip -9', kib(zlib.gzipSync(baseWasm, { level: 9 }).length), '-'],
      ['npm pack tarball', kib(pack.size), '≤ 100 KiB'],
      [`installed: ${PKG.name} (no dependencies)`, mb(pack.unpackedSize), '-'],
      [`installed: axios + its ${axiosSize.packages - 1} dependencies`, mb(axiosSize.bytes), '-'],
      [`installed: @larksuiteoapi/node-sdk + its ${sdkSize.packages - 1} dependencies`, mb(sdkSize.bytes), '-'],
    ]);

    // 6. Inside real n8n.
    if (process.env.BENCH_SKIP_N8N === '1') {
      console.log('\n(n8n benchmark skipped: BENCH_SKIP_N8N=1)');
    } else {
      const n8n = await n8nBench(standIn.url, standIn.tokenRequests);
      const perItem = (/** @type {number} */ ms) => `${fmt((ms * 1000) / n8n.ours.items)} µs`;
      table(`Inside real n8n ${n8n.version}: one execution, ${n8n.ours.items} items, one app, cache on (median of ${QUICK ? 1 : 3})`, ['node', 'execution time', 'per item', 'upstream token requests'], [
        ['Larkbase Get Token', `${n8n.ours.ms} ms`, perItem(n8n.ours.ms), String(n8n.ours.upstream)],
        ["No Operation (n8n's own cost)", `${n8n.baseline.ms} ms`, perItem(n8n.baseline.ms), String(n8n.baseline.upstream)],
        ['difference: what the node adds', `${n8n.ours.ms - n8n.baseline.ms} ms`, perItem(n8n.ours.ms - n8n.baseline.ms), '-'],
      ]);
    }

    // 7. Queue mode against regular mode (a few minutes: opt in).
    if (process.env.BENCH_QUEUE === '1') await require('./queue').main();
    else console.log('\n(queue-mode benchmark skipped: BENCH_QUEUE=1 runs it, or node bench/queue.js alone)');
  } finally {
    standIn.stop();
  }

  // 7. Memory: bench/memory.js, each measure in a fresh process.
  if (process.env.BENCH_SKIP_MEMORY === '1') {
    console.log('\n(memory benchmark skipped: BENCH_SKIP_MEMORY=1)');
  } else {
    await require('./memory').run();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
