// @ts-check
'use strict';
// The token cache, single flight, retries and store-app tokens, from the built package against the
// local Lark stand-in. Time is moved with node:test's Date mock, which the wasm module and the
// stand-in both read.

const { test, beforeEach, after, mock } = require('node:test');
const assert = require('node:assert/strict');
const { getToken, clearTokenCache, resendAppTicket } = require('..');
const { startStandIn } = require('./lark-stand-in');
const { SECRETS, outcome } = require('./helpers');

const APP_ID = 'cli_cache_app_000001';
const STORE_APP_ID = 'cli_store_app_000001';
const TENANTS = ['tenant-hanoi', 'tenant-saigon'];
const MINUTE_MS = 60_000;

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
const apps = /** @type {Record<string, string>} */ ({ [APP_ID]: SECRETS.main });
for (let n = 0; n < 100; n++) apps[`cli_many_${n}`] = SECRETS.other;

beforeEach(async () => {
  await lark?.close();
  lark = await startStandIn({
    apps,
    storeApps: { [STORE_APP_ID]: { secret: SECRETS.other, tenants: TENANTS } },
    rateLimitPerSecond: 100_000,
  });
  clearTokenCache();
});
after(() => lark.close());

const tokenRequests = () => lark.requests.filter((r) => r.path.includes('access_token')).length;
const params = (/** @type {Record<string, unknown>} */ extra = {}) => ({ appId: APP_ID, appSecret: SECRETS.main, domain: lark.url, ...extra });

test('10,000 concurrent cold calls for one app send exactly 1 request and all get its token', async () => {
  const results = await Promise.all(Array.from({ length: 10_000 }, () => getToken(params())));
  assert.equal(tokenRequests(), 1);
  assert.equal(new Set(results.map((r) => r.access_token)).size, 1);
  assert.notEqual(results[0], results[1], 'each caller gets its own result object');
});

test('100 apps at once send 100 requests', async () => {
  const calls = Array.from({ length: 100 }, (_, n) => getToken(params({ appId: `cli_many_${n}`, appSecret: SECRETS.other })));
  const results = await Promise.all([...calls, ...calls.map(() => getToken(params({ appId: 'cli_many_7', appSecret: SECRETS.other })))]);
  assert.equal(tokenRequests(), 100);
  assert.equal(new Set(results.map((r) => r.access_token)).size, 100);
});

test('a cached token answers with its remaining lifetime, and is renewed before it expires', async (t) => {
  t.after(() => mock.timers.reset());
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const first = await getToken(params());
  assert.equal(first.expires_in, 7200);
  mock.timers.tick(40 * MINUTE_MS);
  const cached = await getToken(params());
  assert.equal(cached.access_token, first.access_token);
  assert.equal(cached.expires_in, 7200 - 40 * 60);
  assert.equal(tokenRequests(), 1);
  // 6 minutes before expiry the token still answers; at 4 minutes it is inside the 5-minute margin.
  mock.timers.tick(74 * MINUTE_MS);
  assert.equal((await getToken(params())).access_token, first.access_token);
  assert.equal(tokenRequests(), 1);
  mock.timers.tick(2 * MINUTE_MS);
  const renewed = await getToken(params());
  assert.equal(tokenRequests(), 2);
  assert.notEqual(renewed.access_token, first.access_token, 'Lark hands out a new token in the last 30 minutes');
  assert.equal(renewed.expires_in, 7200);
});

test('cache: false asks Lark every time; clearTokenCache empties the cache', async () => {
  await getToken(params());
  await getToken(params({ cache: false }));
  await getToken(params({ cache: false }));
  assert.equal(tokenRequests(), 3);
  await getToken(params());
  assert.equal(tokenRequests(), 3);
  clearTokenCache();
  await getToken(params());
  assert.equal(tokenRequests(), 4);
});

test('a changed secret is not answered from the cache', async () => {
  await getToken(params());
  const wrong = await outcome('changed secret', () => getToken(params({ appSecret: SECRETS.wrong })));
  assert.equal(wrong.ok, false);
  assert.equal(tokenRequests(), 2);
});

test('after two 503s the third attempt succeeds', async () => {
  lark.inject('http503');
  lark.inject('http503');
  const token = await getToken(params());
  assert.match(token.access_token, /^t-/);
  assert.equal(tokenRequests(), 3);
});

test('10014 is never retried, and errors say how many attempts were made', async () => {
  const wrong = await outcome('10014', () => getToken(params({ appSecret: SECRETS.wrong })));
  assert.equal(wrong.ok, false);
  const error = /** @type {any} */ (wrong).error;
  assert.equal(error.code, 'AUTH_FAILED');
  assert.equal(error.attempts, 1);
  assert.equal(tokenRequests(), 1);

  for (let i = 0; i < 3; i++) lark.inject('html500');
  const failed = await outcome('3 x 500', () => getToken(params({ maxAttempts: 3 })));
  const last = /** @type {any} */ (failed).error;
  assert.equal(last.code, 'HTTP_ERROR');
  assert.equal(last.attempts, 3);
  assert.match(last.message, /\(after 3 attempts\)$/);
});

test('429 with Retry-After is retried after the wait it asks for', async () => {
  lark.inject('http429');
  const started = Date.now();
  const token = await getToken(params());
  assert.match(token.access_token, /^t-/);
  assert.ok(Date.now() - started >= 900, 'waited about the 1 s Retry-After asked for');
  assert.equal(tokenRequests(), 2);
});

test('the overall deadline bounds retries', async () => {
  for (let i = 0; i < 5; i++) lark.inject('http429');
  const started = Date.now();
  const failed = await outcome('deadline', () => getToken(params({ maxAttempts: 5, deadlineMs: 1500 })));
  const error = /** @type {any} */ (failed).error;
  assert.equal(error.code, 'RATE_LIMITED');
  assert.equal(error.attempts, 2);
  assert.ok(Date.now() - started < 3000, 'bounded by the deadline, not by the five attempts');
});

test('store app: app token from the app_ticket, tenant tokens per tenant key, one app token for all', async () => {
  const store = (/** @type {Record<string, unknown>} */ extra) =>
    params({ appId: STORE_APP_ID, appSecret: SECRETS.other, appTicket: lark.appTicket(STORE_APP_ID), ...extra });
  const app = await getToken(store({ tokenType: 'app_access_token' }));
  assert.match(app.access_token, /^a-/);
  assert.equal(app.token_type, 'app_access_token');
  assert.match(app.request.url, /\/open-apis\/auth\/v3\/app_access_token\?app_id=cli_st\*\*\*0001$/);

  const [hanoi, saigon] = await Promise.all(TENANTS.map((tenantKey) => getToken(store({ tenantKey }))));
  assert.notEqual(hanoi.access_token, saigon.access_token);
  assert.match(hanoi.request.url, /\/open-apis\/auth\/v3\/tenant_access_token\?app_id=/);
  const paths = lark.requests.map((r) => r.path);
  assert.deepEqual(paths, [
    '/open-apis/auth/v3/app_access_token',
    '/open-apis/auth/v3/tenant_access_token',
    '/open-apis/auth/v3/tenant_access_token',
  ]);
  assert.deepEqual(lark.requests[1].body, { app_access_token: app.access_token, tenant_key: TENANTS[0] });

  const records = await fetch(`${lark.url}/open-apis/bitable/v1/apps/b/tables/t/records`, {
    headers: { Authorization: `Bearer ${hanoi.access_token}` },
  });
  assert.equal((await records.json()).code, 0);
});

test('store app: a stale ticket is 10012 with a hint to resend; resendAppTicket brings a new one', async () => {
  const stale = await outcome('10012', () =>
    getToken(params({ appId: STORE_APP_ID, appSecret: SECRETS.other, appTicket: 'ticket-stale', tokenType: 'app_access_token' })),
  );
  const error = /** @type {any} */ (stale).error;
  assert.equal(error.code, 'LARK_ERROR');
  assert.equal(error.larkCode, 10012);
  assert.match(error.hint, /resend/);

  const before = lark.appTicket(STORE_APP_ID);
  const resent = await resendAppTicket({ appId: STORE_APP_ID, appSecret: SECRETS.other, domain: lark.url });
  assert.deepEqual(resent.response, { code: 0, msg: 'ok' });
  assert.match(resent.request.url, /\/open-apis\/auth\/v3\/app_ticket\/resend\?app_id=/);
  assert.notEqual(lark.appTicket(STORE_APP_ID), before);
  const app = await getToken(params({ appId: STORE_APP_ID, appSecret: SECRETS.other, appTicket: lark.appTicket(STORE_APP_ID), tokenType: 'app_access_token' }));
  assert.match(app.access_token, /^a-/);

  const wrongSecret = await outcome('resend 10014', () => resendAppTicket({ appId: STORE_APP_ID, appSecret: SECRETS.wrong, domain: lark.url }));
  assert.equal(/** @type {any} */ (wrongSecret).error.code, 'AUTH_FAILED');
});

test('store app: a tenant that did not install the app is LARK_ERROR 99991673', async () => {
  const missing = await outcome('99991673', () =>
    getToken(params({ appId: STORE_APP_ID, appSecret: SECRETS.other, appTicket: lark.appTicket(STORE_APP_ID), tenantKey: 'tenant-elsewhere' })),
  );
  const error = /** @type {any} */ (missing).error;
  assert.equal(error.code, 'LARK_ERROR');
  assert.equal(error.larkCode, 99991673);
  assert.match(error.hint, /not installed/);
});
