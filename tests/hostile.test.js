// @ts-check
'use strict';
// Hostile answers and values against the built package: whatever a caller, a custom fetch or a
// server hands in, every call settles with a typed error (or a token, where the value is odd but
// harmless) in bounded time, nothing escapes as an uncaught exception, no app is left waiting on a
// call that will never end, the module's memory stays small, and the App Secret appears in no
// error in any spelling.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { Readable } = require('node:stream');
const { promisify } = require('node:util');
const { getToken, clearTokenCache, isLarkbaseTokenError, wasmMemoryBytes } = require('..');
const { httpRequestFetch } = require('../dist/js/n8n-support');
const { startStandIn } = require('./lark-stand-in');
const { SECRETS, record } = require('./helpers');
const { secretsIn } = require('./secret-forms');

const SECRET = SECRETS.hostile;
const TOKEN_BODY = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-good', expire: 7200 });
const MiB = 1024 * 1024;

/** Exceptions that escaped a call: there must be none. */
const escaped = /** @type {unknown[]} */ ([]);
process.on('uncaughtException', (error) => escaped.push(error));
process.on('unhandledRejection', (error) => escaped.push(error));
after(() => assert.deepEqual(escaped.map(String), [], 'nothing escaped as an uncaught exception'));

let appNumber = 0;
/** Each case gets its own app, so that what it does to the cache and single flight shows. */
const nextApp = () => `cli_hostile_${String(appNumber++).padStart(6, '0')}`;

/** @param {Record<string, unknown>} extra */
const params = (extra) => ({ appId: nextApp(), appSecret: SECRET, timeoutMs: 1000, maxAttempts: 1, ...extra });

const goodResponse = () => new Response(TOKEN_BODY, { status: 200, headers: { 'content-type': 'application/json' } });

/** @template T @param {Promise<T>} promise @param {number} ms @param {string} label */
function within(promise, ms, label) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/**
 * Runs one hostile call twice at once for the same app (so that single flight is in play),
 * expects each to settle in bounded time as `expected` says, then checks that the app still gets
 * a token through a well-behaved fetch.
 *
 * @param {string} label
 * @param {Record<string, unknown>} hostile params fields for the hostile call
 * @param {string} expected an error code, 'token', or codes separated by '|' when either is right
 */
async function survives(label, hostile, expected) {
  const p = params(hostile);
  const outcomes = await within(
    Promise.allSettled([getToken(/** @type {any} */ (p)), getToken(/** @type {any} */ (p))]),
    5000,
    label,
  );
  for (const settled of outcomes) {
    record(`hostile: ${label}`, settled.status === 'fulfilled' ? settled.value : settled.reason);
    if (expected === 'token') {
      assert.equal(settled.status, 'fulfilled', `${label}: ${settled.status === 'rejected' ? settled.reason : ''}`);
      continue;
    }
    assert.equal(settled.status, 'rejected', `${label} should fail`);
    const error = /** @type {any} */ (settled).reason;
    assert.ok(isLarkbaseTokenError(error), `${label}: a LarkbaseTokenError, not ${error}`);
    assert.ok(expected.split('|').includes(error.code), `${label}: ${error.code} ${error.message}`);
    assertNoSecret(label, error);
  }
  const appId = typeof p.appId === 'string' ? p.appId : nextApp();
  const again = await within(getToken({ appId, appSecret: SECRET, fetch: goodResponse }), 5000, `${label}, then a good call`);
  assert.equal(again.access_token, 't-good', `${label}: the app still works`);
}

/** @param {string} label @param {any} error */
function assertNoSecret(label, error) {
  const shown = [String(error), error.stack, JSON.stringify({ ...error, message: error.message })].join('\n');
  assert.deepEqual(secretsIn(shown, [SECRET]), [], `${label}: the secret in ${shown}`);
}

/**
 * A fetch that resolves to `response()` for every call: typed loosely, as hostile ones are.
 *
 * @param {() => unknown} response
 * @returns {any}
 */
const answering = (response) => async () => response();
/** A body stream of the given read results, one per read. @param {(n: number) => unknown} readAt */
const bodyReading = (readAt) => ({ getReader: () => { let n = 0; return { read: () => readAt(n++), cancel() {} }; } });
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const throwingEverywhere = () =>
  new Proxy({}, { get: () => { throw new Error(`trap ${SECRET}`); }, has: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
const tokenBytes = () => new TextEncoder().encode(TOKEN_BODY);

test('hostile params: each is INVALID_PARAMS naming its field, or harmlessly ignored', async () => {
  /** @type {Array<[string, Record<string, unknown>, string]>} */
  const cases = [
    ['a revoked proxy as appId', { appId: revoked() }, 'INVALID_PARAMS'],
    ['a revoked proxy as domain', { domain: revoked() }, 'INVALID_PARAMS'],
    ['an array that is a revoked proxy', { domain: (() => { const { proxy, revoke } = Proxy.revocable([], {}); revoke(); return proxy; })() }, 'INVALID_PARAMS'],
    ['a throwing Symbol.toPrimitive', { timeoutMs: { [Symbol.toPrimitive]() { throw new Error('x'); } } }, 'INVALID_PARAMS'],
    ['a symbol', { tokenType: Symbol('tenant_access_token') }, 'INVALID_PARAMS'],
    ['a bigint', { maxAttempts: 2n }, 'INVALID_PARAMS'],
    ['a function as appTicket', { appTicket: () => 'x' }, 'INVALID_PARAMS'],
    ['a throwing proxy as fetch', { fetch: throwingEverywhere() }, 'INVALID_PARAMS'],
    ['a 50 MB domain', { domain: 'x'.repeat(50 * MiB) }, 'INVALID_PARAMS'],
    ['a 50 MB unknown field', { somethingElse: 'x'.repeat(50 * MiB), fetch: answering(goodResponse) }, 'token'],
  ];
  for (const [label, hostile, expected] of cases) await survives(label, hostile, expected);

  for (const [label, make] of /** @type {Array<[string, () => unknown]>} */ ([
    ['params that are a revoked proxy', revoked],
    ['params whose every trap throws', throwingEverywhere],
    ['params with a getter that throws the secret', () => ({ appId: 'cli_x', get appSecret() { throw new Error(SECRET); } })],
  ])) {
    const error = await within(getToken(/** @type {any} */ (make())).catch((e) => e), 5000, label);
    assert.ok(isLarkbaseTokenError(error), label);
    assert.equal(error.code, 'INVALID_PARAMS', label);
    assert.match(error.message, /could not be read/, label);
    assertNoSecret(label, error);
  }

  const memory = wasmMemoryBytes();
  assert.ok(memory < 8 * MiB, `module memory ${memory} bytes after 50 MB strings`);
});

test('a params getter that calls getToken again, re-entering the module, is harmless', async () => {
  const appId = nextApp();
  const token = await within(
    getToken({
      appId,
      get appSecret() {
        void getToken({ appId, appSecret: SECRET, fetch: goodResponse });
        return SECRET;
      },
      fetch: answering(goodResponse),
    }),
    5000,
    're-entrant getter',
  );
  assert.equal(token.access_token, 't-good');
});

test('hostile fetch functions and responses', async () => {
  const lockedBody = () => {
    const response = goodResponse();
    response.body?.getReader();
    return response;
  };
  const throwingStatus = () => Object.defineProperty(goodResponse(), 'status', { get() { throw new Error(`status ${SECRET}`); } });
  const thenThrows = { get then() { throw new Error(`then ${SECRET}`); } };
  const promiseWithThrowingConstructor = () => {
    const promise = Promise.resolve(goodResponse());
    Object.defineProperty(promise, 'constructor', { get() { throw new Error('constructor'); } });
    return promise;
  };
  /** @type {Array<[string, (...args: any[]) => unknown, string]>} */
  const cases = [
    ['fetch throws the secret synchronously', () => { throw Object.assign(new Error(SECRET), { code: SECRET, cause: { message: SECRET, code: SECRET } }); }, 'NETWORK_ERROR'],
    ['fetch rejects with a revoked proxy', async () => { throw revoked(); }, 'NETWORK_ERROR'],
    ['fetch rejects with a proxy whose traps throw', async () => { throw throwingEverywhere(); }, 'NETWORK_ERROR'],
    ['fetch returns a thenable whose then getter throws', () => thenThrows, 'NETWORK_ERROR'],
    ['fetch returns a promise whose constructor getter throws', promiseWithThrowingConstructor, 'NETWORK_ERROR'],
    // Resolving a promise with these reads their `then`, which throws: the promise rejects.
    ['fetch resolves to a revoked proxy', answering(revoked), 'NETWORK_ERROR'],
    ['fetch resolves to a proxy whose traps throw', answering(throwingEverywhere), 'NETWORK_ERROR'],
    ['fetch returns a revoked proxy without a promise', revoked, 'NETWORK_ERROR'],
    ['fetch returns a proxy whose traps all throw except then', () => new Proxy({}, { get: (_t, key) => { if (key === 'then') return undefined; throw new Error(SECRET); } }), 'BAD_RESPONSE'],
    ['fetch resolves to undefined', answering(() => undefined), 'BAD_RESPONSE'],
    ['a Response whose status getter throws', answering(throwingStatus), 'BAD_RESPONSE'],
    ['a status of 1e9', answering(() => ({ status: 1e9, text: async () => TOKEN_BODY })), 'BAD_RESPONSE'],
    ['headers whose get throws', answering(() => ({ status: 200, headers: { get() { throw new Error(SECRET); } }, text: async () => TOKEN_BODY })), 'token'],
    ['headers that are a revoked proxy', answering(() => ({ status: 200, headers: revoked(), text: async () => TOKEN_BODY })), 'token'],
    ['a 100 MB Retry-After header', answering(() => ({ status: 429, headers: { get: () => '9'.repeat(100 * MiB) }, text: async () => '' })), 'RATE_LIMITED'],
    ['a body getter that throws', answering(() => ({ status: 200, get body() { throw new Error('body'); }, text: async () => TOKEN_BODY })), 'token'],
    ['a locked body stream', answering(lockedBody), 'BAD_RESPONSE'],
    ['getReader throws', answering(() => ({ status: 200, body: { getReader() { throw new Error(SECRET); } } })), 'BAD_RESPONSE'],
    ['read throws synchronously', answering(() => ({ status: 200, body: bodyReading(() => { throw new Error(SECRET); }) })), 'BAD_RESPONSE'],
    ['read rejects', answering(() => ({ status: 200, body: bodyReading(async () => { throw new Error(SECRET); }) })), 'NETWORK_ERROR'],
    ['read resolves to a number', answering(() => ({ status: 200, body: bodyReading(async () => 42) })), 'BAD_RESPONSE'],
    ['read resolves to null', answering(() => ({ status: 200, body: bodyReading(async () => null) })), 'BAD_RESPONSE'],
    ['a chunk that is a string', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: TOKEN_BODY })) })), 'BAD_RESPONSE'],
    ['a chunk that only says it has a length', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: { length: 5, byteLength: 5 } })) })), 'BAD_RESPONSE'],
    ['a chunk that is a proxy of a Uint8Array', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: new Proxy(tokenBytes(), {}) })) })), 'BAD_RESPONSE'],
    [
      'a chunk whose length getters throw (its real bytes are read)',
      answering(() => ({
        status: 200,
        body: bodyReading(async (n) => {
          if (n > 0) return { done: true };
          const value = tokenBytes();
          for (const key of ['length', 'byteLength']) Object.defineProperty(value, key, { get() { throw new Error('length'); } });
          return { done: false, value };
        }),
      })),
      'token',
    ],
    [
      'a 2 MiB chunk that says it has 1 byte',
      answering(() => ({
        status: 200,
        body: bodyReading(async () => {
          const value = new Uint8Array(2 * MiB);
          for (const key of ['length', 'byteLength']) Object.defineProperty(value, key, { value: 1 });
          return { done: false, value };
        }),
      })),
      'BAD_RESPONSE',
    ],
    ['a read that never settles', answering(() => ({ status: 200, body: bodyReading(() => new Promise(() => {})) })), 'TIMEOUT'],
    ['empty chunks, ready at once, for ever', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: new Uint8Array(0) })) })), 'TIMEOUT'],
    // Which comes first, the cap or the timeout, depends on the machine's speed.
    ['one-byte chunks, ready at once, for ever', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: new Uint8Array([32]) })) })), 'TIMEOUT|BAD_RESPONSE'],
    ['64 KiB chunks, ready at once, for ever', answering(() => ({ status: 200, body: bodyReading(async () => ({ done: false, value: new Uint8Array(65536).fill(32) })) })), 'BAD_RESPONSE'],
    ['only arrayBuffer(), resolving to junk', answering(() => ({ status: 200, arrayBuffer: async () => ({ byteLength: 1e12 }) })), 'BAD_RESPONSE'],
    ['text() throws', answering(() => ({ status: 200, text() { throw new Error(SECRET); } })), 'BAD_RESPONSE'],
    ['text() resolves to a number', answering(() => ({ status: 200, text: async () => 42 })), 'BAD_RESPONSE'],
    ['text() resolves to 5 MB', answering(() => ({ status: 200, text: async () => 'x'.repeat(5 * MiB) })), 'BAD_RESPONSE'],
    ['text() of 600,000 three-byte characters', answering(() => ({ status: 200, text: async () => 'ứ'.repeat(600_000) })), 'BAD_RESPONSE'],
    ['a fetch that never settles', () => new Promise(() => {}), 'TIMEOUT'],
    [
      'a fetch that calls getToken and clearTokenCache re-entrantly',
      (/** @type {string} */ url, /** @type {any} */ init) => {
        clearTokenCache();
        void getToken({ appId: JSON.parse(init.body).app_id, appSecret: SECRET, fetch: answering(goodResponse) }).catch(() => {});
        return goodResponse();
      },
      'token',
    ],
  ];
  for (const [label, fetch, expected] of cases) await survives(label, { fetch }, expected);
  const memory = wasmMemoryBytes();
  assert.ok(memory < 8 * MiB, `module memory ${memory} bytes`);
});

/** A token endpoint that answers every request with `handler`. @param {http.RequestListener} handler */
async function server(handler) {
  const s = http.createServer(handler);
  await new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
  return { url: `http://127.0.0.1:${port}`, close: () => { s.closeAllConnections(); return new Promise((r) => s.close(r)); } };
}

test('compressed bombs: refused as BAD_RESPONSE whatever Content-Length says, memory bounded', async () => {
  const zeros = Buffer.alloc(64 * MiB, 0x20);
  const member = zlib.gzipSync(zeros, { level: 9 });
  /** Encoding, body, and how many bytes it decodes to. @type {Array<[string, Buffer, number]>} */
  const bombs = [
    ['gzip', Buffer.concat(Array.from({ length: 8 }, () => member)), 512 * MiB],
    ['deflate', zlib.deflateSync(zeros, { level: 9 }), 64 * MiB],
    ['br', zlib.brotliCompressSync(zeros, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }), 64 * MiB],
    ['gzip', zlib.gzipSync(Buffer.alloc(MiB + 1, 0x20)), MiB + 1],
  ];
  /** @type {[string, Buffer]} */
  let current = ['identity', Buffer.alloc(0)];
  const bomb = await server((_req, res) => {
    const [encoding, body] = current;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding, 'Content-Length': body.length });
    res.end(body);
  });
  const rssBefore = process.memoryUsage().rss;
  try {
    for (const [encoding, body, decoded] of bombs) {
      current = [encoding, body];
      const label = `${encoding}: ${body.length} bytes that decode to ${decoded}`;
      const started = Date.now();
      for (const via of ['global fetch', 'custom fetch', "n8n's request helper"]) {
        const fetch = via === 'global fetch' ? undefined : via === 'custom fetch' ? globalThis.fetch : httpRequestFetch(fakeN8nHelper);
        const error = await within(getToken(params({ domain: bomb.url, fetch })).catch((e) => e), 10_000, label);
        record(`bomb ${label} via ${via}`, error);
        assert.ok(isLarkbaseTokenError(error), `${label} via ${via}: ${error}`);
        assert.equal(error.code, 'BAD_RESPONSE', `${label} via ${via}: ${error.message}`);
        assert.match(error.message, /larger than 1 MiB/);
      }
      console.log(`bomb ${label}: refused 3 ways in ${Date.now() - started} ms`);
    }
  } finally {
    await bomb.close();
  }
  const memory = wasmMemoryBytes();
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  console.log(`bombs: module memory ${memory} bytes, RSS growth ${(rssGrowth / MiB).toFixed(1)} MiB`);
  assert.ok(memory < 8 * MiB, `module memory ${memory} bytes`);
  assert.ok(rssGrowth < 256 * MiB, `RSS grew ${rssGrowth} bytes`);

  // Just under the cap, compressed or not, is still a token.
  const padded = JSON.stringify({ code: 0, msg: 'x'.repeat(MiB - 200), tenant_access_token: 't-big', expire: 7200 });
  const fine = await server((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.end(zlib.gzipSync(padded));
  });
  try {
    const token = await getToken(params({ domain: fine.url }));
    assert.equal(token.access_token, 't-big');
  } finally {
    await fine.close();
  }
});

/**
 * n8n's `httpRequest` helper as far as the adapter uses it, decompressing like axios does.
 *
 * @param {import('n8n-workflow').IHttpRequestOptions} options
 */
async function fakeN8nHelper(options) {
  const response = await fetch(options.url, {
    method: options.method,
    headers: /** @type {Record<string, string>} */ (options.headers),
    body: /** @type {string} */ (options.body),
    redirect: 'manual',
    signal: /** @type {AbortSignal | undefined} */ (options.abortSignal),
  });
  return {
    statusCode: response.status,
    headers: Object.fromEntries(/** @type {any} */ (response.headers)),
    body: Readable.fromWeb(/** @type {any} */ (response.body)),
  };
}

/** Ways a server or a transform may spell what it echoes. @type {Array<[string, (s: string) => string]>} */
const SPELLINGS = [
  ['raw', (s) => s],
  ['JSON', (s) => JSON.stringify(s)],
  ['JSON escaping & < >', (s) => JSON.stringify(s).replace(/[&<>]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
  ['JSON escaping every character', (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join('')],
  ['percent, upper case', (s) => encodeURIComponent(s)],
  ['percent, lower case', (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
  ['percent, slashes raw', (s) => encodeURIComponent(s).replace(/%2F/g, '/')],
  ['percent, every byte', (s) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')],
  ['HTML named', (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')],
  ['HTML decimal', (s) => [...s].map((c) => `&#${c.codePointAt(0)};`).join('')],
  ['HTML hex', (s) => [...s].map((c) => `&#x${c.codePointAt(0)?.toString(16)};`).join('')],
  ['upper case', (s) => s.toUpperCase()],
  ['lower case', (s) => s.toLowerCase()],
  ['reversed', (s) => [...s].reverse().join('')],
  ['base64', (s) => Buffer.from(s).toString('base64')],
  ['base64url', (s) => Buffer.from(s).toString('base64url')],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['HEX', (s) => Buffer.from(s).toString('hex').toUpperCase()],
  ['spaced', (s) => [...s].join(' ')],
  ['zero-width', (s) => [...s].join('\u200B')],
  ['line-wrapped', (s) => [...s].join('\n')],
  ['JSON of percent', (s) => JSON.stringify(encodeURIComponent(s))],
];

test('a server echoing the request in any spelling: its message is withheld whole', async () => {
  const secret = SECRETS.escaped;
  /** @type {(body: string) => string} */
  let echo = (body) => body;
  const echoing = await server((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 10014, msg: `invalid request: ${echo(body)}` }));
    });
  });
  /** Base64 of the body at each alignment, as a log line holding the encoded request would. */
  const embedded = /** @type {Array<[string, (s: string) => string]>} */ ([0, 1, 2].map((n) => [
    `base64 of the body after ${n} other bytes`,
    (s) => Buffer.from(`${'x'.repeat(n)}${s}`).toString('base64'),
  ]));
  try {
    for (const [name, spell] of [...SPELLINGS, ...embedded]) {
      for (const [what, take] of /** @type {Array<[string, (body: string) => string]>} */ ([
        ['the body', (body) => spell(body)],
        ['the secret', () => spell(secret)],
      ])) {
        echo = take;
        const label = `echo of ${what}, ${name}`;
        const error = await getToken({ ...params({ domain: echoing.url }), appSecret: secret }).catch((e) => e);
        record(label, error);
        assert.equal(error.code, 'AUTH_FAILED', label);
        assert.equal(error.larkMsg, "(the server's message is withheld: it echoed the request)", label);
        const shown = [String(error), error.stack, JSON.stringify({ ...error })].join('\n');
        assert.deepEqual(secretsIn(shown, [secret]), [], `${label}: ${shown}`);
      }
    }
  } finally {
    await echoing.close();
  }
});

test("a custom fetch's error never lends its text: only a known system code", async () => {
  for (const [name, spell] of SPELLINGS) {
    const thrown = Object.assign(new Error(`request ${spell(SECRET)} failed`), {
      name: spell(SECRET),
      code: spell(SECRET),
      cause: { message: spell(SECRET), code: spell(SECRET), name: spell(SECRET) },
    });
    const error = await getToken(params({ fetch: async () => { throw thrown; } })).catch((e) => e);
    assert.equal(error.code, 'NETWORK_ERROR', name);
    assert.match(error.message, /: the request failed$/, name);
    assertNoSecret(`fetch error, ${name}`, error);
  }
  const refused = await getToken(params({ fetch: async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: SECRET } }); } })).catch((e) => e);
  assert.match(refused.message, /: ECONNREFUSED$/);
});

test('an access token that holds the secret in any spelling is BAD_RESPONSE', async () => {
  for (const [name, spell] of SPELLINGS) {
    const token = `t-${spell(SECRET)}`;
    if (!/^[\x21-\x7e]+$/.test(token)) continue; // not a token anyway: refused for its characters
    const answer = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 });
    const error = await getToken(params({ fetch: async () => new Response(answer) })).catch((e) => e);
    assert.equal(error.code, 'BAD_RESPONSE', `${name}: ${error.message ?? 'a token'}`);
    assertNoSecret(`token, ${name}`, error);
  }
  const echoedMsg = JSON.stringify({ code: 0, msg: `ok ${Buffer.from(SECRET).toString('base64')}`, tenant_access_token: 't-fine', expire: 7200 });
  const token = await getToken(params({ fetch: async () => new Response(echoedMsg) }));
  assert.equal(token.response.msg, "(the server's message is withheld: it echoed the request)");
});

test("the cache key holds the kind of app: a self-built app's token never answers a store-app call", async () => {
  const appId = 'cli_hostile_both_kinds';
  const lark = await startStandIn({ apps: { [appId]: SECRET }, storeApps: { [appId]: { secret: SECRET, tenants: ['tenant-1'] } } });
  try {
    const selfBuilt = await getToken({ appId, appSecret: SECRET, domain: lark.url, tokenType: 'app_access_token' });
    const appTicket = String(lark.appTicket(appId));
    const seen = lark.requests.length;
    const store = await getToken({ appId, appSecret: SECRET, domain: lark.url, tokenType: 'app_access_token', appTicket });
    assert.deepEqual(
      lark.requests.slice(seen).map((r) => [r.path, r.body.app_ticket]),
      [['/open-apis/auth/v3/app_access_token', appTicket]],
    );
    assert.notEqual(store.access_token, selfBuilt.access_token);
  } finally {
    await lark.close();
  }
});

test('a script whose calls all met hostile values still exits by itself', async () => {
  const entry = path.join(__dirname, '..');
  const script = `
    const { getToken } = require(${JSON.stringify(entry)});
    const p = { appId: 'cli_liveness_0001', appSecret: ${JSON.stringify(SECRET)}, timeoutMs: 300, maxAttempts: 2 };
    const never = () => new Promise(() => {});
    Promise.allSettled([
      getToken({ ...p, fetch: never }),
      getToken({ ...p, fetch: async () => ({ status: 200, body: { getReader: () => ({ read: never }) } }) }),
      getToken({ ...p, fetch: () => { throw new Error('x'); } }),
      getToken({ ...p, appId: 'cli_liveness_0002', fetch: async () => ({ get status() { throw new Error('y'); } }) }),
    ]).then((all) => console.log(all.map((r) => r.reason.code).join(' ')));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 });
  assert.equal(stdout.trim(), 'TIMEOUT TIMEOUT TIMEOUT BAD_RESPONSE');
});

test('a script whose only work is one getToken prints its result, through slow answers and a retry wait', async () => {
  const entry = path.join(__dirname, '..');
  // The fetch answers only on timers that do not keep Node running, first with a 503: only the
  // package keeps the process alive through both answers and the wait between them.
  const script = `
    const { getToken } = require(${JSON.stringify(entry)});
    let calls = 0;
    const later = (ms) => new Promise((resolve) => AbortSignal.timeout(ms).addEventListener('abort', resolve));
    const token = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-alive', expire: 7200 });
    const fetch = async () => {
      calls++;
      await later(200);
      return calls === 1 ? new Response('busy', { status: 503 }) : new Response(token);
    };
    getToken({ appId: 'cli_liveness_0003', appSecret: ${JSON.stringify(SECRET)}, fetch }).then((t) => console.log(t.access_token, calls));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 });
  assert.equal(stdout.trim(), 't-alive 2');
});
