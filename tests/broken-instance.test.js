// @ts-check
'use strict';
// A trapped instance (a WebAssembly.RuntimeError) is replaced: every token call pending on it runs
// again on a fresh instance, which starts with the token cache the broken one had, and nothing
// escapes. In a file of its own, so that the test sees every instance the entry makes from the
// first one on. (Lark Base calls that break mid-write are in tests/larkbase-hostile.test.js.)

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

/** The instance the entry made last, as the first test records it. */
let lastInstance = /** @type {any} */ (undefined);

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

test('a broken instance: pending token calls run again on a fresh one, which keeps the token cache', async () => {
  const glue = require('../dist/pkg/larkbase_get_token.js');
  // Reached the way the entry reaches it, so that the test can trap the instance in use.
  const instances = /** @type {any[]} */ ([]);
  const instantiate = glue.instantiate;
  glue.instantiate = (/** @type {any} */ onTrap) => {
    const made = instantiate(onTrap);
    instances.push(made);
    lastInstance = made;
    return made;
  };
  try {
    for (const inMicrotask of [true, false]) {
      // A fresh instance, remembered, with a cached token and a call pending on it.
      const cachedApp = nextApp();
      await getToken({ appId: cachedApp, appSecret: SECRET, fetch: goodResponse });
      const trapped = instances.at(-1);
      let answered = 0;
      // Hangs on the broken instance; answers when asked again.
      const hangOnce = () => (answered++ === 0 ? new Promise(() => {}) : goodResponse());
      const pending = getToken({ appId: nextApp(), appSecret: SECRET, fetch: hangOnce, timeoutMs: 60_000 });
      if (inMicrotask) {
        trapped.abortForTests(true);
      } else {
        // A trap inside a synchronous call of the entry: the cache lookup. The call that met it
        // goes on, on a fresh instance.
        const cachedToken = trapped.cachedToken;
        trapped.cachedToken = () => trapped.abortForTests(false);
        const now = await within(getToken({ appId: cachedApp, appSecret: SECRET, fetch: () => assert.fail('not cached') }), 5000, 'the lookup');
        trapped.cachedToken = cachedToken;
        assert.equal(now.access_token, 't-good');
      }
      const token = await within(pending, 5000, 'the pending call');
      assert.equal(token.access_token, 't-good', 'the pending call ran again and got its token');
      assert.equal(answered, 2);
      assert.notEqual(instances.at(-1), trapped, 'a fresh instance');
      let asked = 0;
      const again = await getToken({ appId: cachedApp, appSecret: SECRET, fetch: () => (asked++, goodResponse()) });
      assert.equal(again.access_token, 't-good');
      assert.equal(asked, 0, 'the token cache survived the broken instance');
    }
  } finally {
    glue.instantiate = instantiate;
  }
});

test('an instance broken twice in a row fails the call with INTERNAL_ERROR instead of trying for ever', async () => {
  const glue = require('../dist/pkg/larkbase_get_token.js');
  const instantiate = glue.instantiate;
  const breakAlways = (/** @type {any} */ made) => {
    made.getToken = () => made.abortForTests(false);
    return made;
  };
  glue.instantiate = (/** @type {any} */ onTrap) => breakAlways(instantiate(onTrap));
  // The instance in use now breaks too: it is the one the entry reaches first.
  const current = await getToken({ appId: nextApp(), appSecret: SECRET, fetch: goodResponse }).then(() => lastInstance);
  breakAlways(current);
  try {
    const error = await within(getToken({ appId: nextApp(), appSecret: SECRET, fetch: goodResponse }).catch((e) => e), 5000, 'the call');
    assert.ok(isLarkbaseTokenError(error));
    assert.equal(error.code, 'INTERNAL_ERROR');
  } finally {
    glue.instantiate = instantiate;
  }
  const fine = await getToken({ appId: nextApp(), appSecret: SECRET, fetch: goodResponse });
  assert.equal(fine.access_token, 't-good');
});
