// @ts-check
'use strict';
// 100,000 getToken calls over 10,000 distinct apps, through a fetch that answers in-process: the
// cache stays at its cap, the wasm memory stops growing once warm, and what the JS heap holds for
// requests in flight (Node keeps each timeout signal until it fires) is let go once their timeouts
// have passed. The figures are printed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
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
/** Short, so that the test can wait out the window in which Node holds each request's timer. */
const TIMEOUT_MS = 1000;

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
        getToken({ appId, appSecret: 'LoadCanary-secret', fetch: answer, timeoutMs: TIMEOUT_MS }).then((t) => {
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
  // Timers fire after TIMEOUT_MS; the weak references behind them clear a collection or two later.
  await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
  const heapAfterTimeouts = heapUsed();
  const figures = { calls: CALLS, apps: APPS, wasmBytesAtStart: atStart, wasmBytesWarm: warm, wasmBytesAtEnd: end, heapWarm, heapEnd, heapAfterTimeouts };
  console.log(`load: ${JSON.stringify(figures)}`);
  record('load figures', figures);
  assert.equal(end, warm, 'no wasm memory growth over the last 90,000 calls');
  assert.ok(end < 16 * 1024 * 1024, 'under 16 MiB of wasm memory');
  assert.ok(heapAfterTimeouts < heapWarm + 32 * 1024 * 1024, 'the JS heap lets go once the timeouts have passed');
});
