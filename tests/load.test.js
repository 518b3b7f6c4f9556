// @ts-check
'use strict';
// 100,000 getToken calls over 10,000 distinct apps, through a fetch that answers in-process: the
// cache stays at its cap, the wasm memory stops growing once warm, and the JS heap holds nothing
// for calls that have settled, although their timeouts (the default 10 s) have not yet passed.
// Then 100,000 uncached calls in a fresh process: its RSS stays near where it was (issue 14). The
// figures are printed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { promisify } = require('node:util');
const { getToken, clearTokenCache } = require('..');
const { record } = require('./helpers');

// A full collection before each heap reading, so that the figures count what is still held.
require('node:v8').setFlagsFromString('--expose-gc');
const collect = require('node:vm').runInNewContext('gc');
const heapUsed = () => {
  collect();
  return process.memoryUsage().heapUsed;
};

const APPS = 10_000;
const CALLS = 100_000;
const CONCURRENCY = 100;

/** @type {import('..').FetchLike} */
const answer = async (_url, init) => {
  const appId = JSON.parse(init.body).app_id;
  const body = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: `t-${appId}`, expire: 7200 });
  return new Response(body, { status: 200, headers: { 'content-length': String(body.length) } });
};

/** Runs calls `from` to `to`, `CONCURRENCY` at a time, app `i % APPS` for call `i`. */
async function calls(/** @type {number} */ from, /** @type {number} */ to) {
  for (let start = from; start < to; start += CONCURRENCY) {
    const batch = [];
    for (let i = start; i < Math.min(to, start + CONCURRENCY); i++) {
      const appId = `cli_load_${String(i % APPS).padStart(5, '0')}`;
      batch.push(
        getToken({ appId, appSecret: 'LoadCanary-secret', fetch: answer }).then((t) => {
          if (t.access_token !== `t-${appId}`) throw new Error(`wrong token for ${appId}`);
        }),
      );
    }
    await Promise.all(batch);
  }
}

test('100,000 calls over 10,000 apps: bounded cache, wasm memory flat once warm', async () => {
  clearTokenCache();
  const { wasmMemoryBytes } = require('..');
  const atStart = wasmMemoryBytes();
  await calls(0, CALLS / 10);
  const warm = wasmMemoryBytes();
  const heapWarm = heapUsed();
  await calls(CALLS / 10, CALLS);
  const end = wasmMemoryBytes();
  const heapEnd = heapUsed();
  const figures = { calls: CALLS, apps: APPS, wasmBytesAtStart: atStart, wasmBytesWarm: warm, wasmBytesAtEnd: end, heapWarm, heapEnd };
  console.log(`load: ${JSON.stringify(figures)}`);
  record('load figures', figures);
  assert.equal(end, warm, 'no wasm memory growth over the last 90,000 calls');
  assert.ok(end < 16 * 1024 * 1024, 'under 16 MiB of wasm memory');
  // A timer signal per call held about 1.3 KB until it fired: 116 MB more here.
  assert.ok(heapEnd < heapWarm + 32 * 1024 * 1024, 'the JS heap holds nothing for settled calls');
});

test('100,000 uncached calls through a custom fetch, 10 at a time: RSS grows less than 128 MB', async () => {
  // The memory benchmark's own measure, in a fresh process. About 30 MB here; a timer signal per
  // call made it about 250 MB, and a keep-alive channel per call 750 MB: the margin is wide.
  const job = { root: path.join(__dirname, '..'), url: 'http://127.0.0.1:9', path: 'custom fetch', calls: 100_000, concurrency: 10 };
  const bench = path.join(__dirname, '..', 'bench', 'memory.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', bench, '--child', JSON.stringify(job)]);
  const figures = JSON.parse(stdout);
  console.log(`load, RSS: ${JSON.stringify(figures)}`);
  record('load RSS figures', figures);
  assert.ok(figures.rssGrowth < 128, `RSS grew ${figures.rssGrowth.toFixed(1)} MB`);
});
