// @ts-check
'use strict';
// Issue 17, classes 4 and 5, against the built package. Deep and large JSON: scalars that hold
// arrays nested thousands deep, huge flat arrays or objects, bodies of millions of tiny values,
// 16 MiB and more, pages of 31 MB again and again, in Lark Base answers and in token answers:
// each fails its own call with BAD_RESPONSE (never INTERNAL_ERROR), another app's calls go on, the
// token cache survives, and how long the event loop was blocked is measured and reported (not
// asserted: the issue's goal is about 100 ms). Rate limits: 40 concurrent calls against the
// stand-in's 5 requests a second all succeed within their deadline (wall time and refused
// requests reported), a server that always says rate limited ends the call at its deadline with
// RATE_LIMITED, and reset headers that lie do no harm.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const lb = require('..');
const { startStandIn, SAMPLE_FIELDS } = require('./lark-stand-in');
const { record } = require('./helpers');
const { startWorld, watchEscapes, assertFailed, assertNoSecret, errorsOf, OTHER, SLACK_MS } = require('./larkbase-hostile-harness');

const noneEscaped = watchEscapes();
/** @type {Awaited<ReturnType<typeof startWorld>>} */
let world;
/** The longest the event loop was blocked in each deep case, for the report. */
const blocked = /** @type {Array<[string, number]>} */ ([]);
before(async () => {
  world = await startWorld();
  // The other app's token is cached from here on: the hostile answers must not lose it.
  await world.ordinary(0);
});
after(async () => {
  await world.close();
  const worst = [...blocked].sort((a, b) => b[1] - a[1]).slice(0, 5);
  record('larkbase hostile: event loop blocked, worst cases (ms)', worst);
  console.log(`event loop blocked by the deep and large answers, worst cases: ${worst.map(([l, ms]) => `${l}: ${ms} ms`).join('; ')}`);
  noneEscaped();
});

/**
 * Runs a deep case with the event loop's delay measured, and expects its call to fail with
 * `code` (a whole-call rejection, or every item's error), or to succeed (`ok`).
 *
 * @param {string} label @param {Record<string, unknown>} mode @param {() => Promise<any>} call @param {string} code
 */
async function deepCase(label, mode, call, code) {
  world.hostile.setMode({ name: 'deep', ...mode });
  world.hostile.prepare({ name: 'deep', ...mode });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const outcome = await world.alongside(label, call, { deadlineMs: 10_000 });
  delay.disable();
  blocked.push([label, Math.round(delay.max / 1e6)]);
  const errors = errorsOf(outcome);
  if (code === 'ok') {
    assert.deepEqual(errors, [], `${label}: it should succeed`);
    return;
  }
  assert.ok(errors.length > 0, `${label}: it should fail`);
  for (const error of errors) assert.equal(error.code, code, `${label}: ${error.code} ${error.message}`);
  assertNoSecret(label, errors, world.secrets());
}

const SHAPES = ['nested5000', 'nested100000', 'flat', 'object', 'wide-object'];
/** For shapes refused before parsing (nested past the cap, more values than the cap: the wide object's 100,000 keys too) BAD_RESPONSE; else `shallow`. */
const expected = (/** @type {string} */ shape, shallow = 'BAD_RESPONSE') => (shape === 'object' ? shallow : 'BAD_RESPONSE');

test('a Lark Base answer whose scalars hold deep or huge JSON fails its own call with BAD_RESPONSE', async () => {
  const { id, ids } = world.table([{ Key: 'A' }]);
  for (const shape of SHAPES) {
    // A hundred thousand keys take a while to parse: in the fields where a reader is likeliest to stumble.
    const fields = shape === 'wide-object' ? ['code', 'has_more'] : ['code', 'has_more', 'page_token', 'total', 'record_id', 'data'];
    for (const field of fields) {
      const code = field === 'data' && shape === 'object' ? 'ok' : expected(shape);
      await deepCase(`search, ${field} holds ${shape}`, { field, shape }, () => lb.searchRecords(world.viaToken(id, { deadlineMs: 10_000 })), code);
    }
    await deepCase(`search, msg holds ${shape}`, { field: 'msg', shape }, () => lb.searchRecords(world.viaToken(id, { deadlineMs: 10_000 })), expected(shape, 'LARK_ERROR'));
    if (shape === 'wide-object') continue;
    await deepCase(`tables, table_id holds ${shape}`, { field: 'table_id', shape }, () => lb.listTables(world.viaToken(id, { deadlineMs: 10_000 })), 'BAD_RESPONSE');
    await deepCase(`create, record_id holds ${shape}`, { field: 'record_id', shape, action: 'batch_create' }, () => lb.createRecords(world.viaToken(id, { deadlineMs: 10_000, rows: [{ fields: { Key: 'x' } }] })), 'BAD_RESPONSE');
    await deepCase(`delete, deleted holds ${shape}`, { field: 'deleted', shape, action: 'batch_delete' }, () => lb.deleteRecords(world.viaToken(id, { deadlineMs: 10_000, rows: ids.map((recordId) => ({ recordId })) })), 'BAD_RESPONSE');
  }
});

test("a credential's token answer whose fields hold deep or huge JSON fails its own call with BAD_RESPONSE", async () => {
  const { id } = world.table([{ Key: 'A' }]);
  for (const shape of SHAPES) {
    for (const token of ['code', 'msg', 'expire', 'tenant_access_token']) {
      await deepCase(`token answer, ${token} holds ${shape}`, { token, shape }, () => lb.searchRecords(world.viaCredential(id, { deadlineMs: 10_000 })), 'BAD_RESPONSE');
    }
  }
});

test('bodies of millions of values, 16 MiB and more, and pages of 31 MB again and again fail with BAD_RESPONSE', async () => {
  const { id } = world.table([{ Key: 'A' }]);
  const search = () => lb.searchRecords(world.viaToken(id, { deadlineMs: 10_000 }));
  await deepCase('3 million tiny values', { body: 'tiny' }, search, 'BAD_RESPONSE');
  await deepCase('a body of 17 MiB', { body: 'big', mib: 17 }, search, 'BAD_RESPONSE');
  await deepCase('a page of 31 MB, again and again', { body: 'big-page' }, search, 'BAD_RESPONSE');
  // Within the caps: as much as an answer may hold, which the issue wants parsed in about 100 ms.
  await deepCase('99,990 values, just under the cap', { body: 'values', count: 99_990 }, search, 'BAD_RESPONSE');
  await deepCase('99,990 values of 160 bytes: 16 MB', { body: 'values', count: 99_990, valueBytes: 160 }, search, 'BAD_RESPONSE');
  await deepCase('399,990 values, over the cap', { body: 'values' }, search, 'BAD_RESPONSE');
  // `data` without `items` is an empty list, whatever else it holds.
  await deepCase('data with 99,990 keys', { body: 'keys', count: 99_990 }, () => lb.listTables(world.viaToken(id, { deadlineMs: 10_000 })), 'ok');
});

test('a record with a cell named __proto__ (a column anyone may name so) comes out as a plain object', async () => {
  const { id } = world.table();
  // A URL column and a person column named __proto__, as JSON carries them: own keys.
  const answers = [
    '{"code":0,"msg":"success","data":{"has_more":false,"items":[{"record_id":"recProto00001","fields":{"Name":"real","__proto__":{"link":"https://example.com","text":"Amount"}}}]}}',
    '{"code":0,"msg":"success","data":{"has_more":false,"items":[{"record_id":"recProto00002","fields":{"Name":"real","__proto__":{"Amount":1000000,"toString":"not a function"}}}]}}',
  ];
  const wrong = [];
  for (const text of answers) {
    world.hostile.setMode({ name: 'deep', body: 'raw', text });
    const outcome = await world.alongside('a cell named __proto__', () => lb.searchRecords(world.viaToken(id)));
    assert.ok(outcome.ok, `${outcome.error}`);
    const fields = outcome.value.records[0].fields;
    const inherited = Object.getPrototypeOf(fields) === Object.prototype ? [] : Object.keys(Object.getPrototypeOf(fields) ?? {});
    if (inherited.length > 0) wrong.push(`fields inherit ${inherited.join(', ')} (fields.link: ${fields.link}, fields.Amount: ${fields.Amount})`);
  }
  assert.deepEqual(wrong, [], "a record's fields took the __proto__ cell as their prototype");
});

test('after all of them, the other app still gets its cached token without a request', async () => {
  const asked = world.normal.requests.filter((r) => r.path.includes('access_token')).length;
  const token = await lb.getToken({ ...OTHER, domain: world.normal.url });
  assert.match(token.access_token, /^t-/);
  assert.equal(world.normal.requests.filter((r) => r.path.includes('access_token')).length, asked, 'served from the cache');
});

// Class 5: rate limits.

/**
 * A stand-in with the per-app Lark Base limit, a table of `count` records, and an app's credential.
 *
 * @param {import('./lark-stand-in').BaseRateLimit} limit @param {number} count
 */
async function limited(limit, count) {
  const app = { appId: `cli_rate_${limit.status ?? 400}_${limit.headers ?? 'ogw'}`, appSecret: OTHER.appSecret };
  const lark = await startStandIn({ apps: { [app.appId]: app.appSecret }, rateLimitPerSecond: 1_000_000, baseRateLimit: limit });
  lark.base.createBase({ appToken: 'bascnRateLimited01' });
  const table = lark.base.createTable('bascnRateLimited01', { name: 'Rate', fields: SAMPLE_FIELDS });
  const ids = lark.base.addRecords('bascnRateLimited01', table, Array.from({ length: count }, (_, i) => ({ Key: `R${i}` })));
  const credential = { ...app, domain: lark.url };
  await lb.getToken(credential);
  return { lark, table, ids, credential };
}

test('the stand-in limits each app to 5 Lark Base requests a second, as Lark\'s gateway does', async () => {
  const { lark, table } = await limited({ perSecond: 5 }, 1);
  try {
    const token = (await lb.getToken({ appId: 'cli_rate_400_ogw', appSecret: OTHER.appSecret, domain: lark.url })).access_token;
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${lark.url}/open-apis/bitable/v1/apps/bascnRateLimited01/tables/${table}/fields`, { headers: { Authorization: `Bearer ${token}` } }),
      ),
    );
    const refused = answers.filter((a) => a.status === 400);
    assert.ok(refused.length >= 2, `${refused.length} of 12 refused`);
    for (const answer of refused) {
      assert.equal((await answer.json()).code, 99991400);
      assert.equal(answer.headers.get('x-ogw-ratelimit-limit'), '5');
      assert.equal(answer.headers.get('x-ogw-ratelimit-reset'), '1');
    }
    assert.equal(lark.baseRateLimit.refused, refused.length);
  } finally {
    await lark.close();
  }
});

test('40 concurrent Get calls against 5 requests a second, told by x-ogw headers or by Retry-After: all succeed within their deadline', async (t) => {
  /** @type {Array<[string, import('./lark-stand-in').BaseRateLimit]>} */
  const variants = [
    ['HTTP 400 with x-ogw-ratelimit-limit and -reset', { perSecond: 5 }],
    ['HTTP 429 with Retry-After only', { perSecond: 5, status: 429, headers: 'retry-after' }],
  ];
  const deadlineMs = 30_000;
  // Each on a stand-in of its own, for an app of its own: they run at once.
  await Promise.all(
    variants.map(async ([label, limit]) => {
      const { lark, table, ids, credential } = await limited(limit, 40);
      try {
        const began = performance.now();
        const outcome = await world.alongside(
          `40 gets at 5/s, ${label}`,
          () => Promise.all(ids.map((recordId) => lb.getRecords({ base: 'bascnRateLimited01', table, credential, deadlineMs, rows: [{ recordId }] }))),
          { deadlineMs },
        );
        const wallMs = Math.round(performance.now() - began);
        assert.ok(outcome.ok, `${label}: ${outcome.error}`);
        const failed = outcome.value.filter((/** @type {any} */ r) => r.items[0].error);
        assert.deepEqual(failed.map((/** @type {any} */ r) => r.items[0].error.message), [], `${label}: every call got its record`);
        assert.deepEqual(outcome.value.map((/** @type {any} */ r) => r.items[0].record.record_id), ids);
        const figures = { wallMs, passed: lark.baseRateLimit.passed, refused: lark.baseRateLimit.refused };
        record(`larkbase hostile: 40 gets at 5/s, ${label}`, figures);
        t.diagnostic(`40 gets at 5/s, ${label}: ${JSON.stringify(figures)}`);
        console.log(`40 concurrent gets at 5 requests/s, ${label}: ${wallMs} ms, ${figures.passed} requests let through, ${figures.refused} refused`);
      } finally {
        await lark.close();
      }
    }),
  );
});

test('a server that always says rate limited: the call ends at its deadline with RATE_LIMITED', async () => {
  const deadlineMs = 3000;
  /** @type {Array<[string, Record<string, unknown>, number]>} how early it may give up: the longest wait it was told of */
  const cases = [
    ['HTTP 400, reset 1 s', { status: 400, headers: { 'x-ogw-ratelimit-reset': '1', 'x-ogw-ratelimit-limit': '5' } }, 1000],
    ['HTTP 429, Retry-After 1', { headers: { 'retry-after': '1' } }, 1000],
    ['HTTP 429, reset 0', { headers: { 'x-ogw-ratelimit-reset': '0' } }, 100],
    ['HTTP 200, code 1254290, reset 1 s', { status: 200, code: 1254290, headers: { 'x-ogw-ratelimit-reset': '1' } }, 1000],
    // Without a word of when: a backoff that doubles, whose next wait may reach past the deadline.
    ['HTTP 429, no headers', {}, 2000],
  ];
  const outcomes = await Promise.all(
    cases.map(async ([label, options]) => {
      const { params } = await world.another({ name: 'rate', ...options });
      return world.alongside(`always rate limited, ${label}`, () => lb.searchRecords(params({ deadlineMs })), { deadlineMs });
    }),
  );
  cases.forEach(([label, , earliest], i) => {
    const outcome = outcomes[i];
    assertFailed(label, outcome, 'RATE_LIMITED', world.secrets());
    assert.ok(outcome.elapsedMs >= deadlineMs - earliest - 300, `${label}: gave up after ${Math.round(outcome.elapsedMs)} ms of ${deadlineMs}`);
    assert.ok(outcome.error.attempts > 1, `${label}: ${outcome.error.attempts} attempts`);
    console.log(`always rate limited, ${label}: RATE_LIMITED after ${Math.round(outcome.elapsedMs)} ms of a ${deadlineMs} ms deadline, ${outcome.error.attempts} attempts`);
  });
});

test('a slow gateway that always says rate limited: RATE_LIMITED at the deadline, not a TIMEOUT of its last try', async () => {
  // Each refusal comes 500 ms after its request and says to come back at once (after 100 ms):
  // tries start about every 600 ms, at 0, 600 and 1,200 ms, and the last one has 300 ms left,
  // less than the gateway takes to refuse it.
  const deadlineMs = 1500;
  const { params } = await world.another({ name: 'rate', delayMs: 500, headers: { 'x-ogw-ratelimit-reset': '0' } });
  const outcome = await world.alongside('slow gateway, always rate limited', () => lb.searchRecords(params({ deadlineMs })), { deadlineMs });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.error.code, 'RATE_LIMITED', `${outcome.error.code}: ${outcome.error.message}`);
});

test('reset and Retry-After headers that lie (negative, huge, NaN, dates): the call goes on once the refusals stop', async () => {
  const deadlineMs = 6000;
  /** @type {Array<Record<string, string>>} */
  const lies = [
    { 'x-ogw-ratelimit-reset': '-1' },
    { 'x-ogw-ratelimit-reset': '1e9', 'x-ogw-ratelimit-limit': '1e9' },
    { 'x-ogw-ratelimit-reset': '99999' },
    { 'x-ogw-ratelimit-reset': 'NaN', 'x-ogw-ratelimit-limit': 'NaN' },
    { 'x-ogw-ratelimit-reset': 'Infinity' },
    { 'x-ogw-ratelimit-reset': '0.001', 'x-ogw-ratelimit-limit': '0' },
    { 'x-ogw-ratelimit-reset': '1, 2', 'x-ogw-ratelimit-limit': '-5' },
    { 'x-ogw-ratelimit-reset': '1', 'x-ogw-ratelimit-limit': '4294967296' },
    { 'retry-after': '-5' },
    { 'retry-after': '1e9' },
    { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' },
    { 'retry-after': new Date(Date.now() + 365 * 86_400_000).toUTCString() },
  ];
  const outcomes = await Promise.all(
    lies.map(async (headers) => {
      const { params } = await world.another({ name: 'rate', refusals: 2, headers });
      return world.alongside(`lying headers ${JSON.stringify(headers)}`, () => lb.searchRecords(params({ deadlineMs })), { deadlineMs });
    }),
  );
  const failed = lies.flatMap((headers, i) => (outcomes[i].ok ? [] : [`${JSON.stringify(headers)}: ${outcomes[i].error.code} ${outcomes[i].error.message}`]));
  assert.deepEqual(failed, []);
  for (const outcome of outcomes) assert.equal(outcome.value.records.length, 1);
});

test('calls that give up while their app waits for its pace leave the pace as it was for the calls after them', async () => {
  // Lark says: 5 requests a second, and wait 1 s. Calls whose deadline is shorter than the wait
  // give up at once; the one after them, with time enough, must go at Lark's pace, not after
  // every slot the others reserved and never used.
  const { server, params } = await world.another({ name: 'rate', refusals: 1, headers: { 'x-ogw-ratelimit-reset': '1', 'x-ogw-ratelimit-limit': '5' } });
  const app = params({ deadlineMs: 300 });
  const told = await lb.searchRecords(app).catch((e) => e);
  assert.equal(told.code, 'RATE_LIMITED', `${told.code} ${told.message}`);
  const impatient = await Promise.all(Array.from({ length: 100 }, () => lb.searchRecords(app).then(() => 'ok', (e) => e.code)));
  assert.ok(impatient.every((code) => code !== 'ok'), 'the impatient calls gave up');
  const sent = server.requests.length;
  const outcome = await world.alongside('a patient call after 100 impatient ones', () => lb.searchRecords({ ...app, deadlineMs: 5000 }), { deadlineMs: 5000 });
  assert.ok(outcome.ok, `the patient call: ${outcome.error?.code} after ${Math.round(outcome.elapsedMs)} ms: ${outcome.error?.message}`);
  assert.equal(server.requests.length, sent + 1);
});

test('a reset of an hour (within what Lark may say) is waited for only as long as the deadline allows', async () => {
  const deadlineMs = 3000;
  const { params } = await world.another({ name: 'rate', headers: { 'x-ogw-ratelimit-reset': '3600' } });
  const outcome = await world.alongside('reset of an hour', () => lb.searchRecords(params({ deadlineMs })), { deadlineMs });
  assertFailed('reset of an hour', outcome, 'RATE_LIMITED', world.secrets());
  assert.match(outcome.error.message, /deadline/);
});
