// @ts-check
'use strict';
// A trapped instance (a WebAssembly.RuntimeError) is replaced: every call pending on it settles with
// INTERNAL_ERROR, the next call gets a fresh instance, and nothing escapes. In a file of its own,
// so that the test sees every instance the entry makes from the first one on.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { getToken, isLarkbaseTokenError } = require('..');
const { SECRETS } = require('./helpers');

const SECRET = SECRETS.hostile;
const TOKEN_BODY = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-good', expire: 7200 });
const goodResponse = () => new Response(TOKEN_BODY, { status: 200 });

const escaped = /** @type {unknown[]} */ ([]);
process.on('uncaughtException', (error) => escaped.push(error));
process.on('unhandledRejection', (error) => escaped.push(error));
after(() => assert.deepEqual(escaped.map(String), [], 'nothing escaped as an uncaught exception'));

let appNumber = 0;
const nextApp = () => `cli_broken_${String(appNumber++).padStart(6, '0')}`;

/** @template T @param {Promise<T>} promise @param {number} ms @param {string} label */
function within(promise, ms, label) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

test('a broken instance: pending calls are rejected with INTERNAL_ERROR, the next call gets a fresh one', async () => {
  const glue = require('../dist/pkg/larkbase_get_token.js');
  // Reached the way the entry reaches it, so that the test can trap the instance in use.
  const instances = /** @type {any[]} */ ([]);
  const instantiate = glue.instantiate;
  glue.instantiate = (/** @type {any} */ onTrap) => {
    const made = instantiate(onTrap);
    instances.push(made);
    return made;
  };
  try {
    for (const inMicrotask of [true, false]) {
      // A fresh instance, remembered, with a cached token and a call pending on it.
      const cachedApp = nextApp();
      await getToken({ appId: cachedApp, appSecret: SECRET, fetch: goodResponse });
      const trapped = instances.at(-1);
      const hanging = getToken({ appId: nextApp(), appSecret: SECRET, fetch: () => new Promise(() => {}), timeoutMs: 60_000 });
      if (inMicrotask) {
        trapped.abortForTests(true);
      } else {
        // A trap inside a synchronous call of the entry: the cache lookup.
        const cachedToken = trapped.cachedToken;
        trapped.cachedToken = () => trapped.abortForTests(false);
        const now = await getToken({ appId: nextApp(), appSecret: SECRET }).catch((e) => e);
        trapped.cachedToken = cachedToken;
        assert.equal(now.code, 'INTERNAL_ERROR');
      }
      const error = await within(hanging.catch((e) => e), 5000, 'the pending call');
      assert.ok(isLarkbaseTokenError(error));
      assert.equal(error.code, 'INTERNAL_ERROR');
      let asked = 0;
      const fresh = await getToken({ appId: cachedApp, appSecret: SECRET, fetch: () => (asked++, goodResponse()) });
      assert.equal(fresh.access_token, 't-good');
      assert.equal(asked, 1, 'the cache went with the broken instance');
      assert.notEqual(instances.at(-1), trapped, 'a fresh instance');
    }
  } finally {
    glue.instantiate = instantiate;
  }
});

