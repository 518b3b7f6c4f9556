// @ts-check
'use strict';
// getToken from the built package against the local Lark stand-in.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { getToken, isLarkbaseTokenError } = require('..');
const { startStandIn, TOKEN_PATHS } = require('./lark-stand-in');
const { SECRETS, outcome } = require('./helpers');

const APP_ID = 'cli_a1b2c3d4e5f6a7b8';
const OTHER_APP_ID = 'cli_9f8e7d6c5b4a3f2e';
const ESCAPED_APP_ID = 'cli_escaped00000001';

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;

before(async () => {
  lark = await startStandIn({
    apps: { [APP_ID]: SECRETS.main, [OTHER_APP_ID]: SECRETS.other, [ESCAPED_APP_ID]: SECRETS.escaped },
  });
});
after(() => lark.close());

/**
 * One uncached request per call, so that each test here sees exactly what one exchange with Lark
 * gives; the cache, single flight and retries are tested in cache-retry.test.js.
 */
const ONCE = { cache: false, maxAttempts: 1 };

/** @param {Record<string, unknown>} [extra] */
const params = (extra = {}) => ({ appId: APP_ID, appSecret: SECRETS.main, domain: lark.url, ...ONCE, ...extra });

/**
 * @param {string} label
 * @param {any} p
 */
async function expectError(label, p) {
  const got = await outcome(label, () => getToken(p));
  assert.equal(got.ok, false, `${label} should fail`);
  const error = /** @type {{ ok: false, error: any }} */ (got).error;
  assert.ok(error instanceof Error, `${label}: a real Error`);
  assert.equal(error.name, 'LarkbaseTokenError');
  assert.ok(isLarkbaseTokenError(error));
  assert.equal(typeof error.hint, 'string');
  assert.ok(error.hint.length > 0);
  return error;
}

/** The instance must keep serving after any failure. */
async function expectStillWorking() {
  const token = await getToken(params());
  assert.match(token.access_token, /^t-/);
}

test('tenant token: result shape, and the stand-in really got the request', async () => {
  const before = lark.requests.length;
  const got = await outcome('tenant', () => getToken(params()));
  assert.ok(got.ok);
  const token = got.value;
  assert.deepEqual(Object.keys(token).sort(), ['access_token', 'expires_in', 'request', 'response', 'token_type']);
  assert.match(token.access_token, /^t-[0-9a-f]{32}$/);
  assert.equal(token.token_type, 'tenant_access_token');
  assert.ok(token.expires_in > 7000 && token.expires_in <= 7200, String(token.expires_in));
  assert.deepEqual(token.response, { code: 0, msg: 'ok' });
  assert.equal(token.request.url, `${lark.url}/open-apis/auth/v3/tenant_access_token/internal?app_id=cli_a1***a7b8`);
  assert.equal(lark.requests.length, before + 1);
  const seen = lark.requests[lark.requests.length - 1];
  assert.equal(seen.method, 'POST');
  assert.equal(seen.path, '/open-apis/auth/v3/tenant_access_token/internal');
  assert.equal(seen.contentType, 'application/json; charset=utf-8');
  assert.deepEqual(seen.body, { app_id: APP_ID, app_secret: SECRETS.main });
});

test('app token from the app endpoint', async () => {
  const token = await getToken(params({ tokenType: 'app_access_token' }));
  assert.match(token.access_token, /^a-/);
  assert.equal(token.token_type, 'app_access_token');
  assert.equal(lark.requests[lark.requests.length - 1].path, '/open-apis/auth/v3/app_access_token/internal');
});

test('credentials pasted with white space around them still work', async () => {
  const token = await getToken(params({ appId: ` ${APP_ID}\n`, appSecret: `\t${SECRETS.main} ` }));
  assert.match(token.access_token, /^t-/);
});

test('a secret with quotes, slashes and backslashes is sent intact', async () => {
  const token = await getToken({ appId: ESCAPED_APP_ID, appSecret: SECRETS.escaped, domain: lark.url, ...ONCE });
  assert.match(token.access_token, /^t-/);
  assert.equal(lark.requests[lark.requests.length - 1].body.app_secret, SECRETS.escaped);
});

test("both endpoints on both domains' paths", async () => {
  /** @type {Array<[string | undefined, string]>} */
  const domains = [
    ['lark', 'https://open.larksuite.com'],
    ['feishu', 'https://open.feishu.cn'],
    [undefined, 'https://open.larksuite.com'],
  ];
  for (const [domain, origin] of domains) {
    for (const [path, kind] of Object.entries(TOKEN_PATHS)) {
      /** @type {string[]} */
      const urls = [];
      // Sends what would go to Lark or Feishu to the stand-in instead, keeping the path.
      /** @type {import('..').FetchLike} */
      const fetchViaStandIn = (url, init) => {
        urls.push(url);
        return fetch(url.replace(origin, lark.url), init);
      };
      const tokenType = kind === 'tenant' ? 'tenant_access_token' : 'app_access_token';
      const token = await getToken({ ...params({ tokenType, fetch: fetchViaStandIn }), domain });
      assert.deepEqual(urls, [`${origin}${path}`]);
      assert.equal(token.request.url, `${origin}${path}?app_id=cli_a1***a7b8`);
      assert.equal(lark.requests[lark.requests.length - 1].path, path);
    }
  }
});

test('expires_in is what Lark said remains, not an assumed 7200', async () => {
  const first = await getToken(params({ appId: OTHER_APP_ID, appSecret: SECRETS.other }));
  lark.advanceClock(1000);
  const again = await getToken(params({ appId: OTHER_APP_ID, appSecret: SECRETS.other }));
  assert.equal(again.access_token, first.access_token, 'same token while more than 30 minutes remain');
  assert.ok(Math.abs(again.expires_in - (first.expires_in - 1000)) <= 1, `${first.expires_in} then ${again.expires_in}`);
  lark.advanceClock(5000);
  const renewed = await getToken(params({ appId: OTHER_APP_ID, appSecret: SECRETS.other }));
  assert.notEqual(renewed.access_token, first.access_token, 'a new token once under 30 minutes remain');
  assert.ok(renewed.expires_in > 7000);
});

test('10003: unknown App ID is AUTH_FAILED with a hint about the App ID', async () => {
  const error = await expectError('10003', params({ appId: 'cli_unknown000000000' }));
  assert.equal(error.code, 'AUTH_FAILED');
  assert.equal(error.larkCode, 10003);
  assert.equal(error.larkMsg, 'invalid param');
  assert.equal(error.httpStatus, 200);
  assert.match(error.hint, /App ID/);
  await expectStillWorking();
});

test('10014: wrong App Secret is AUTH_FAILED with a hint about the App Secret', async () => {
  const error = await expectError('10014', params({ appSecret: SECRETS.wrong }));
  assert.equal(error.code, 'AUTH_FAILED');
  assert.equal(error.larkCode, 10014);
  assert.match(error.message, /10014/);
  assert.match(error.hint, /App Secret/);
  await expectStillWorking();
});

test('99991400: rate limited', async () => {
  const strict = await startStandIn({ apps: { [APP_ID]: SECRETS.main }, rateLimitPerSecond: 2 });
  try {
    const calls = [1, 2, 3, 4].map((i) => outcome(`rate ${i}`, () => getToken(params({ domain: strict.url }))));
    const results = await Promise.all(calls);
    const limited = results.filter((r) => !r.ok).map((r) => /** @type {any} */ (r).error);
    assert.equal(limited.length, 2);
    for (const error of limited) {
      assert.equal(error.code, 'RATE_LIMITED');
      assert.equal(error.larkCode, 99991400);
      assert.equal(error.httpStatus, 400);
    }
  } finally {
    await strict.close();
  }
});

test('faults from the server each give their own error in bounded time, retried only where safe', async () => {
  /**
   * Each fault meets both of two allowed attempts: `attempts` says whether it was retried.
   * @type {Array<[import('./lark-stand-in').Fault, string, number | undefined, number, Record<string, unknown>?]>}
   */
  const cases = [
    ['html500', 'HTTP_ERROR', 500, 2],
    ['http503', 'HTTP_ERROR', 503, 2],
    ['http429', 'RATE_LIMITED', 429, 2],
    ['reset', 'NETWORK_ERROR', undefined, 2],
    ['slow', 'TIMEOUT', undefined, 2, { timeoutMs: 300 }],
    ['drip', 'TIMEOUT', undefined, 2, { timeoutMs: 300 }],
    ['invalid-json', 'BAD_RESPONSE', 200, 1],
    ['missing-fields', 'BAD_RESPONSE', 200, 1],
    ['code-string', 'BAD_RESPONSE', 200, 1],
    ['expire-negative', 'BAD_RESPONSE', 200, 1],
    ['expire-zero', 'BAD_RESPONSE', 200, 1],
    ['expire-huge', 'BAD_RESPONSE', 200, 1],
    ['empty-token', 'BAD_RESPONSE', 200, 1],
    ['oversized', 'BAD_RESPONSE', 200, 1],
    ['endless', 'BAD_RESPONSE', 200, 1],
    ['redirect301', 'HTTP_ERROR', 301, 1],
    ['redirect', 'HTTP_ERROR', 302, 1],
    ['redirect307', 'HTTP_ERROR', 307, 1],
    ['redirect308', 'HTTP_ERROR', 308, 1],
    ['echo-body', 'AUTH_FAILED', 400, 1],
  ];
  for (const [fault, code, status, attempts, extra] of cases) {
    lark.inject(fault);
    lark.inject(fault);
    const started = Date.now();
    const error = await expectError(fault, params({ maxAttempts: 2, ...extra }));
    lark.clearFaults();
    assert.equal(error.code, code, `${fault}: ${error.message}`);
    assert.equal(error.httpStatus, status, fault);
    assert.equal(error.attempts, attempts, `${fault} attempts`);
    assert.ok(Date.now() - started < 5000, `${fault} answered in bounded time`);
    await expectStillWorking();
  }
});

test('a JSON answer under the wrong Content-Type is read all the same (a deliberate acceptance)', async () => {
  lark.inject('wrong-content-type');
  assert.equal((await getToken(params())).access_token, 't-plain-text');
});

test('a redirect is not followed: its target never hears of the request', async () => {
  let reached = 0;
  const target = http.createServer((_req, res) => {
    reached += 1;
    res.end('{}');
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', () => resolve(undefined)));
  const redirector = http.createServer((_req, res) => {
    const { port } = /** @type {import('node:net').AddressInfo} */ (target.address());
    res.writeHead(307, { Location: `http://127.0.0.1:${port}/open-apis/auth/v3/tenant_access_token/internal` });
    res.end();
  });
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', () => resolve(undefined)));
  try {
    const { port } = /** @type {import('node:net').AddressInfo} */ (redirector.address());
    const error = await expectError('307', params({ domain: `http://127.0.0.1:${port}` }));
    assert.equal(error.code, 'HTTP_ERROR');
    assert.equal(error.httpStatus, 307);
    assert.match(error.message, /redirect not followed/);
    assert.equal(reached, 0);
  } finally {
    redirector.closeAllConnections();
    target.closeAllConnections();
    await Promise.all([redirector, target].map((s) => new Promise((resolve) => s.close(resolve))));
  }
});

test('a refused connection is NETWORK_ERROR naming the cause', async () => {
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (closed.address());
  await new Promise((resolve) => closed.close(resolve));
  const error = await expectError('refused', params({ domain: `http://127.0.0.1:${port}` }));
  assert.equal(error.code, 'NETWORK_ERROR');
  assert.match(error.message, /ECONNREFUSED/);
  await expectStillWorking();
});

test('a server echoing the request body never gets the secret into the error', async () => {
  /** @type {Array<[string, string]>} */
  const apps = [
    [APP_ID, SECRETS.main],
    [ESCAPED_APP_ID, SECRETS.escaped],
  ];
  for (const [appId, secret] of apps) {
    lark.inject('echo-body');
    const error = await expectError('echo', params({ appId, appSecret: secret }));
    assert.equal(error.code, 'AUTH_FAILED');
    assert.equal(error.larkMsg, "(the server's message is withheld: it echoed the request)");
    const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    assert.ok(!everything.includes(secret), everything);
    assert.ok(!everything.includes(JSON.stringify(secret).slice(1, -1)), everything);
  }
});

test('bad params are INVALID_PARAMS naming the field, and the instance goes on', async () => {
  /** A secret long enough that the case is about another field. */
  const S = 'valid-length-secret-0001';
  /** @type {Array<[unknown, string]>} */
  const cases = [
    [{ appId: 'cli_x', appSecret: 'fifteen-chars-1' }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: 'ab' }, 'appSecret'],
    [undefined, 'params'],
    [null, 'params'],
    ['cli_x', 'params'],
    [{}, 'appId'],
    [{ appId: '', appSecret: S }, 'appId'],
    [{ appId: '   ', appSecret: S }, 'appId'],
    [{ appId: 42, appSecret: S }, 'appId'],
    [{ appId: 'x'.repeat(1024 * 1024), appSecret: S }, 'appId'],
    [{ appId: 'cli_x' }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: 'a\u0000b' }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: { toString: () => 'x' } }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: S, tokenType: 'user_access_token' }, 'tokenType'],
    [{ appId: 'cli_x', appSecret: S, domain: 'http://open.larksuite.com' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'https://u:p@open.larksuite.com' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 42 }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: 0 }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: '5000' }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, fetch: 'not a function' }, 'fetch'],
    [{ appId: 'cli_x', appSecret: S, cache: 'no' }, 'cache'],
    [{ appId: 'cli_x', appSecret: S, maxAttempts: 0 }, 'maxAttempts'],
    [{ appId: 'cli_x', appSecret: S, maxAttempts: 11 }, 'maxAttempts'],
    [{ appId: 'cli_x', appSecret: S, deadlineMs: -1 }, 'deadlineMs'],
    [{ appId: 'cli_x', appSecret: S, tenantKey: 'tenant-1' }, 'appTicket'],
    [{ appId: 'cli_x', appSecret: S, appTicket: 'ticket' }, 'tenantKey'],
    [{ appId: 'cli_x', appSecret: S, appTicket: 'ticket', tenantKey: 't', tokenType: 'app_access_token' }, 'tenantKey'],
    [{ appId: 'cli_x', appSecret: S, appTicket: 'tic ket', tokenType: 'app_access_token' }, 'appTicket'],
    [
      {
        get appId() {
          throw new Error('getter');
        },
      },
      'appId',
    ],
    [new Proxy({}, { get: () => { throw new Error('trap'); } }), 'appId'],
    [{ appId: '\t\n ', appSecret: S }, 'appId'],
    [{ appId: 'cli_\u0007bell', appSecret: S }, 'appId'],
    [{ appId: 'cli_ứng_dụng', appSecret: S }, 'appId'],
    [{ appId: '😀', appSecret: S }, 'appId'],
    [{ appId: true, appSecret: S }, 'appId'],
    [{ appId: ['cli_x'], appSecret: S }, 'appId'],
    [{ appId: Symbol('cli_x'), appSecret: S }, 'appId'],
    [{ appId: 10n, appSecret: S }, 'appId'],
    [{ appId: null, appSecret: S }, 'appId'],
    [{ appId: 'cli_x', appSecret: '   ' }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: 'x'.repeat(257) }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: 'sec ret' }, 'appSecret'],
    [{ appId: 'cli_x', appSecret: S, tokenType: 'TENANT_ACCESS_TOKEN' }, 'tokenType'],
    [{ appId: 'cli_x', appSecret: S, tokenType: '' }, 'tokenType'],
    [{ appId: 'cli_x', appSecret: S, tokenType: 1 }, 'tokenType'],
    [{ appId: 'cli_x', appSecret: S, domain: 'ftp://open.larksuite.com' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'https://open.larksuite.com#frag' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'https://open.larksuite.com?x=1' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'not a url' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'http://10.0.0.1' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'https://exa mple.com' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: '' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: 'javascript:alert(1)' }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, domain: `https://${'a'.repeat(5000)}.com` }, 'domain'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: -1 }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: Infinity }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: -Infinity }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: 1e12 }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, timeoutMs: 1.5 }, 'timeoutMs'],
    [{ appId: 'cli_x', appSecret: S, deadlineMs: Number.NaN }, 'deadlineMs'],
    [{ appId: 'cli_x', appSecret: S, deadlineMs: 600_001 }, 'deadlineMs'],
    [{ appId: 'cli_x', appSecret: S, maxAttempts: 2.5 }, 'maxAttempts'],
    [{ appId: 'cli_x', appSecret: S, fetch: {} }, 'fetch'],
    [{ appId: 'cli_x', appSecret: S, fetch: 42 }, 'fetch'],
    [{ appId: 'cli_x', appSecret: S, cache: 1 }, 'cache'],
  ];
  assert.ok(cases.length >= 40);
  for (const [p, field] of cases) {
    const error = await expectError(`invalid ${field}`, p);
    assert.equal(error.code, 'INVALID_PARAMS', `${field}: ${error.message}`);
    assert.equal(error.field, field, error.message);
    assert.ok(error.message.startsWith(field), error.message);
    await expectStillWorking();
  }
});

test('deliberate acceptances: unknown extra fields, null for an optional field, any case of lark and feishu', async () => {
  const token = await getToken(params({ unknownField: { nested: true }, tokenType: null, timeoutMs: null, cache: null }));
  assert.match(token.access_token, /^t-/);
  for (const domain of ['LARK', 'Feishu']) {
    /** @type {string[]} */
    const urls = [];
    await getToken(params({ domain, fetch: (/** @type {string} */ url, /** @type {any} */ init) => (urls.push(url), fetch(url.replace(/^https:\/\/open\.(larksuite\.com|feishu\.cn)/, lark.url), init)) }));
    assert.match(urls[0], /^https:\/\/open\.(larksuite\.com|feishu\.cn)\//);
  }
});

test('a custom fetch that throws or rejects is a NETWORK_ERROR without its message', async () => {
  for (const fetch of [
    () => {
      throw new Error(`boom with ${SECRETS.main}`);
    },
    async () => {
      throw Object.assign(new Error(`request body ${SECRETS.main}`), { code: 'ECONNRESET' });
    },
  ]) {
    const error = await expectError('custom fetch', params({ fetch }));
    assert.equal(error.code, 'NETWORK_ERROR');
    assert.ok(!error.message.includes(SECRETS.main));
  }
});

test('the returned promise settles even when a custom fetch never does', async () => {
  const error = await expectError('hang', params({ timeoutMs: 100, fetch: () => new Promise(() => {}) }));
  assert.equal(error.code, 'TIMEOUT');
});

test("calls share one timer signal, yet each times out on its own time and aborts its own fetch's signal", async () => {
  /** @type {AbortSignal[]} */
  const signals = [];
  /** @type {import('..').FetchLike} */
  const hang = (_url, init) => {
    signals.push(init.signal);
    return new Promise(() => {});
  };
  /** @type {string[]} */
  const order = [];
  const settled = (/** @type {string} */ name, /** @type {Promise<unknown>} */ call) =>
    call.then(
      () => assert.fail(`${name} should time out`),
      (error) => {
        order.push(name);
        return error;
      },
    );
  // The long call arms the shared signal first; the short one, started after it, must not wait for it.
  const long = settled('long', getToken(params({ timeoutMs: 2000, fetch: hang })));
  const short = settled('short', getToken(params({ timeoutMs: 100, fetch: hang })));
  assert.equal((await short).code, 'TIMEOUT');
  assert.deepEqual(order, ['short']);
  assert.equal(signals.length, 2);
  assert.notEqual(signals[0], signals[1], 'each fetch gets a signal of its own');
  assert.equal(signals[1].aborted, true);
  assert.equal(signals[1].reason?.name, 'TimeoutError');
  assert.equal(signals[0].aborted, false);
  assert.equal((await long).code, 'TIMEOUT');
  assert.equal(signals[0].reason?.name, 'TimeoutError');
});
