// @ts-check
'use strict';
// Issue 17, class 6, against the built package: what a caller hands in that is too large (a 10 MB
// base, a million rows, a 50 MB cell, and names of megabytes) is refused without being copied into
// the Lark Base module; a call that grew the module past 64 MiB leaves a fresh, small instance for
// the next call, with the pace of each app and the token cache carried over; and a trap in the
// module mid-write gives every row a true outcome (sent: may have been applied, with the create
// batch's client token; not sent: NOT_SENT), runs reads again, and lets nothing escape. In a file
// of its own, so that the test sees every instance the entry makes of the module from the first
// one on (as tests/broken-instance.test.js does for the token module).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const baseGlue = require('../dist/pkg/larkbase_base.js');
const tokenGlue = require('../dist/pkg/larkbase_get_token.js');

/** Every instance the entry made of each module, oldest first. */
const made = { base: /** @type {any[]} */ ([]), token: /** @type {any[]} */ ([]) };
for (const [glue, list] of /** @type {Array<[any, any[]]>} */ ([
  [baseGlue, made.base],
  [tokenGlue, made.token],
])) {
  const instantiate = glue.instantiate;
  glue.instantiate = (/** @type {any} */ onTrap) => {
    const instance = instantiate(onTrap);
    list.push(instance);
    return instance;
  };
}

const lb = require('..');
const { record } = require('./helpers');
const { startWorld, watchEscapes, assertNoSecret, errorsOf, tally, HOSTILE_BASE, SECRET } = require('./larkbase-hostile-harness');
const ev = require('./lark-events-stand-in');

const MiB = 1 << 20;
const noneEscaped = watchEscapes();
/** @type {Awaited<ReturnType<typeof startWorld>>} */
let world;
/** Process memory at points of interest, for the report. */
const figures = /** @type {Record<string, unknown>} */ ({});
const rssMiB = () => Math.round(process.memoryUsage().rss / MiB);
const wasmMiB = (/** @type {any} */ instance) => Math.round((instance.wasmMemoryBytes() / MiB) * 10) / 10;

before(async () => {
  world = await startWorld();
  await world.ordinary(0);
  figures.start = { rssMiB: rssMiB(), baseWasmMiB: wasmMiB(made.base.at(-1)), tokenWasmMiB: wasmMiB(made.token.at(-1)) };
});
after(async () => {
  await world.close();
  record('larkbase hostile: memory figures', figures);
  console.log(`memory: ${JSON.stringify(figures)}`);
  noneEscaped();
});

test('values too large are refused before they are copied into the Lark Base module', async () => {
  const { id } = world.table();
  /** @type {Array<[string, () => Promise<any>, (outcome: any) => void]>} */
  const cases = [
    ['a 10 MB base', () => lb.searchRecords({ ...world.viaToken(id), base: 'b'.repeat(10 * MiB) }), (o) => assert.equal(o.error?.field, 'base')],
    ['a 10 MB table', () => lb.searchRecords(world.viaToken('t'.repeat(10 * MiB))), (o) => assert.equal(o.error?.field, 'table')],
    ['a 10 MB access token', () => lb.searchRecords({ ...world.viaToken(id), accessToken: 't'.repeat(10 * MiB) }), (o) => assert.equal(o.error?.field, 'accessToken')],
    ['1,000,000 rows', () => lb.createRecords(world.viaToken(id, { rows: Array.from({ length: 1_000_000 }, () => ({ fields: { Key: 'k' } })) })), (o) => assert.equal(o.error?.field, 'rows')],
    [
      'a 50 MB cell',
      () => lb.createRecords(world.viaToken(id, { rows: [{ fields: { Key: 'k'.repeat(50 * MiB) } }, { fields: { Key: 'small' } }] })),
      (o) => {
        assert.deepEqual(o.value?.items.map((/** @type {any} */ i) => i.error?.code ?? i.action), ['INVALID_VALUE', 'created']);
        assert.equal(o.value.items[0].error.column, 'Key');
      },
    ],
    [
      'a column name of 5 MB',
      () => lb.createRecords(world.viaToken(id, { rows: [{ fields: { ['c'.repeat(5 * MiB)]: 1 } }, { fields: { Key: 'small' } }] })),
      (o) => assert.deepEqual(o.value?.items.map((/** @type {any} */ i) => i.error?.code ?? i.action), ['INVALID_VALUE', 'created']),
    ],
    ['a key column name of 5 MB', () => lb.upsertRecords(world.viaToken(id, { keys: ['k'.repeat(5 * MiB)], rows: [{ fields: { Key: 'x' } }] })), (o) => assert.equal(o.error?.field, 'keys')],
    ['rows that are a 10 MB object, not a list', () => lb.createRecords(world.viaToken(id, { rows: { Key: 'k'.repeat(10 * MiB) } })), (o) => assert.equal(o.error?.field, 'rows')],
    ['a row that is a 10 MB text', () => lb.createRecords(world.viaToken(id, { rows: ['k'.repeat(10 * MiB)] })), (o) => assert.equal(o.error?.field, 'rows')],
    [
      'rows whose own iterator never ends',
      () => {
        const rows = [{ fields: { Key: 'a' } }, { fields: { Key: 'b' } }];
        Object.defineProperty(rows, Symbol.iterator, { value: function* () { for (;;) yield { fields: { Key: 'more' } }; } });
        return lb.createRecords(world.viaToken(id, { rows }));
      },
      (o) => assert.deepEqual(o.value?.items.map((/** @type {any} */ i) => i.action), ['created', 'created']),
    ],
    ['a record ID of 10 MB', () => lb.deleteRecords(world.viaToken(id, { rows: [{ recordId: 'r'.repeat(10 * MiB) }] })), (o) => assert.equal(o.value?.items[0].error?.code, 'INVALID_VALUE')],
  ];
  const problems = [];
  /** @type {Record<string, unknown>} */
  const grown = {};
  /** What a fresh instance holds after an ordinary call. */
  const freshBytes = /** @type {any} */ (figures.start).baseWasmMiB * MiB;
  for (const [label, call, check] of cases) {
    // Each case on a fresh instance (the old one trapped on purpose): memory a case before it
    // freed would otherwise hide what this one copied in.
    made.base.at(-1).abortForTests(true);
    await new Promise((resolve) => setImmediate(resolve));
    const count = made.base.length;
    const outcome = await world.alongside(label, call, { deadlineMs: 10_000 });
    check(outcome);
    const instance = made.base[count];
    const growth = (instance.wasmMemoryBytes() - freshBytes) / MiB;
    const longest = Math.max(0, ...errorsOf(outcome).map((/** @type {any} */ e) => JSON.stringify(e).length + (e.message?.length ?? 0)));
    grown[label] = { wasmGrowthMiB: Math.round(growth * 10) / 10, longestErrorChars: longest, elapsedMs: Math.round(outcome.elapsedMs), rssMiB: rssMiB() };
    if (growth >= 2) problems.push(`${label}: the module grew by ${growth.toFixed(1)} MiB`);
    if (longest > 20_000) problems.push(`${label}: an error of ${longest} characters`);
  }
  figures.tooLarge = grown;
  assert.deepEqual(problems, []);
});

test('params within every size cap but dense with small values are refused before they are read into values', async () => {
  const { id } = world.table();
  made.base.at(-1).abortForTests(true);
  await new Promise((resolve) => setImmediate(resolve));
  const count = made.base.length;
  // 60 rows, each a cell of 524,000 zeros: just under 1 MiB of JSON, 60 MiB in all.
  const cell = Array(524_000).fill(0);
  const rows = Array.from({ length: 60 }, () => ({ fields: { Key: cell } }));
  const outcome = await world.alongside('dense params', () => lb.createRecords(world.viaToken(id, { rows })), { deadlineMs: 30_000 });
  assert.equal(outcome.error?.field, 'params', JSON.stringify(outcome.error));
  // The JSON text is copied in to be measured; its 31 million values, at 553 MiB, are not made.
  const grownMiB = made.base[count].wasmMemoryBytes() / MiB;
  figures.denseParams = { wasmMiB: Math.round(grownMiB), elapsedMs: Math.round(outcome.elapsedMs) };
  assert.ok(grownMiB < 128, `the module grew to ${grownMiB.toFixed(0)} MiB`);
});

/**
 * A delivery of an event to a Larkbase Trigger (Any Event) with `keys`, encrypted and signed when
 * they hold an Encrypt Key, and a way to hand it over as the trigger does, with no event IDs in
 * static data.
 *
 * @param {{ encryptKey?: string, verificationToken: string }} [keys]
 */
function triggerDelivery(keys = { encryptKey: 'memory-test-encrypt-key', verificationToken: 'memory-test-verification-token' }) {
  const appId = 'cli_memory_test_0001';
  const event = ev.seal(ev.schema2('im.message.receive_v1', { message: { text: 'hi' } }, { token: keys.verificationToken, appId }), { encryptKey: keys.encryptKey });
  /** @param {{ body: Buffer, headers: Record<string, string> }} delivery */
  const handle = ({ body, headers }) =>
    lb.handleLarkEvent(
      new Uint8Array(body),
      { timestamp: headers['X-Lark-Request-Timestamp'], nonce: headers['X-Lark-Request-Nonce'], signature: headers['X-Lark-Signature'], ...keys, scope: 'wf-memory Trigger', seen: [], anyEvent: true },
      { appId, appSecret: SECRET, domain: 'http://127.0.0.1:9' },
    );
  return { event, handle };
}

test("an unauthenticated event body of scalars that are lists is refused without reading them", async () => {
  made.base.at(-1).abortForTests(true);
  await new Promise((resolve) => setImmediate(resolve));
  const count = made.base.length;
  // Without an Encrypt Key, Lark's bodies come unsigned, and each is read (with one, an unsigned
  // body larger than a challenge is refused unread).
  const { handle } = triggerDelivery({ verificationToken: 'memory-test-verification-token' });
  // As many as the trigger takes in a body (4 MiB): over 2 million values.
  const zeros = Array(Math.floor(((4 << 20) - 64) / 2)).fill(0).join(',');
  const grown = [];
  for (const body of [`{"ts":[${zeros}]}`, `{"schema":"2.0","header":{"create_time":[${zeros}]}}`]) {
    const outcome = await handle({ body: Buffer.from(body), headers: {} });
    assert.equal(outcome.status, 401);
    grown.push(Math.round(made.base[count].wasmMemoryBytes() / MiB));
  }
  figures.unauthenticatedLists = { wasmMiB: grown };
  // The body itself is copied in; its values, which took the module past 64 MiB, are not made.
  assert.ok(Math.max(...grown) < 32, `the module grew to ${grown.join(' and ')} MiB`);
});

test('a call that grew the module past 64 MiB leaves a fresh, small instance, which keeps the pace and the token cache', async () => {
  const { id } = world.table([{ Key: 'A' }]);
  // An app that Lark told to wait 5 s, one request at a time: its next request must wait too.
  // (Growing the module takes about 1.5 s here; the wait leaves room for a slower machine.)
  const { server: slowing, params: paced } = await world.another({ name: 'rate', refusals: 1, headers: { 'x-ogw-ratelimit-reset': '5', 'x-ogw-ratelimit-limit': '1' } });
  const slowed = paced({ deadlineMs: 1000 });
  const first = await lb.searchRecords(slowed).catch((e) => e);
  assert.equal(first.code, 'RATE_LIMITED', 'told to wait longer than its deadline');
  const toldAt = slowing.requests[0].at;
  // A Larkbase Trigger's delivery, handled by the instance about to grow: Lark's retry of it on
  // the fresh instance must be a duplicate still, though the node's static data lost it.
  const { event, handle } = triggerDelivery();
  assert.equal((await handle(event)).kind, 'event');
  const instances = made.base.length;
  const large = made.base.at(-1);
  // 30 cells of 900,000 three-byte characters: each under the entry's cap, all together 81 MB in
  // the module (and each over Lark's 100,000 characters, so nothing is sent).
  const rows = Array.from({ length: 30 }, (_, i) => ({ fields: { Key: `${i}`.padEnd(900_000, '中') } }));
  const grew = await world.alongside('a call of 81 MB of cells', () => lb.createRecords(world.viaToken(id, { rows, deadlineMs: 20_000 })), { deadlineMs: 20_000 });
  assert.deepEqual(tally(grew.value), { INVALID_VALUE: 30 });
  figures.grown = { baseWasmMiB: wasmMiB(large), rssMiB: rssMiB() };
  assert.ok(large.wasmMemoryBytes() > 64 * MiB, `the module grew to ${wasmMiB(large)} MiB`);
  const tokenRequests = world.normal.requests.filter((r) => r.path.includes('access_token')).length;
  const began = Date.now();
  await world.ordinary(0);
  assert.equal(made.base.length, instances + 1, 'the next call found a fresh instance');
  const fresh = made.base.at(-1);
  assert.ok(fresh.wasmMemoryBytes() < 8 * MiB, `the fresh instance holds ${wasmMiB(fresh)} MiB`);
  assert.equal(world.normal.requests.filter((r) => r.path.includes('access_token')).length, tokenRequests, 'the cached token served the credential');
  assert.equal((await handle(event)).kind, 'duplicate', "the fresh instance knows the trigger's handled events");
  assert.ok(began < toldAt + 4500, `the paced app asks again before its wait is over (${began - toldAt} ms after it was told)`);
  // Long enough also for the slot the first call reserved and gave up (see the answers tests).
  const second = await lb.searchRecords({ ...slowed, deadlineMs: 15_000 });
  assert.equal(second.records.length, 1);
  const askedAt = slowing.requests[1].at;
  assert.ok(askedAt >= toldAt + 4900, `the fresh instance kept the pace: asked again ${askedAt - toldAt} ms after being told to wait 5 s`);
  figures.after = { baseWasmMiB: wasmMiB(fresh), rssMiB: rssMiB() };
});

test('a trap in the module mid-write: sent rows may have been applied (with the client token), unsent rows NOT_SENT, reads run again', async () => {
  const { hostile } = world;
  const { id } = world.table();
  const { server: reads, params: readParams } = await world.another({ name: 'hang', actions: ['search'], first: 1 });
  const rows = Array.from({ length: 600 }, (_, i) => ({ fields: { Key: `T${i}` } }));
  hostile.setMode({ name: 'pairing', create: 'hold' });
  const sent = hostile.nextRequest('batch_create');
  const reading = reads.nextRequest('search');
  const params = world.viaToken(id, { rows, deadlineMs: 20_000 });
  const writing = world.alongside('a create whose module traps', () => lb.createRecords(params), { deadlineMs: 20_000 });
  const read = lb.searchRecords(readParams({ deadlineMs: 20_000 }));
  await Promise.all([sent, reading]);
  const trapped = made.base.at(-1);
  trapped.abortForTests(true);
  const outcome = await writing;
  const found = await read;
  assert.equal(found.records.length, 1, 'the read ran again on a fresh instance');
  assert.notEqual(made.base.at(-1), trapped, 'a fresh instance');
  assert.ok(outcome.ok, `a per-row outcome, not ${outcome.error}`);
  const items = outcome.value.items;
  assert.deepEqual(tally(outcome.value), { INTERNAL_ERROR: 500, NOT_SENT: 100 });
  const clientToken = items[0].error.clientToken;
  for (const item of items.slice(0, 500)) {
    assert.match(item.error.message, /may have been applied/);
    assert.equal(item.error.clientToken, clientToken);
    assert.match(item.error.hint, new RegExp(clientToken));
  }
  for (const item of items.slice(500)) assert.equal(item.error.clientToken, undefined);
  assertNoSecret('a create whose module traps', errorsOf(outcome), world.secrets());
  // The held batch was applied; what still runs on the broken instance sends nothing more (its
  // NOT_SENT rows stay unsent); the same rows again with the client token create nothing twice.
  const createsAtTrap = hostile.count('batch_create');
  hostile.state.release?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(hostile.count('batch_create'), createsAtTrap, 'the broken instance sent the NOT_SENT rows after all');
  hostile.setMode({ name: 'honest' });
  const again = await world.alongside('the same rows again, with the client token', () => lb.createRecords({ ...params, clientToken }));
  assert.deepEqual(tally(again.value), { created: 600 });
  assert.equal(hostile.base.records(HOSTILE_BASE, id).length, 600, 'no record was created twice');
});

test('a trap mid-upsert: the sent update may have been applied, the unsent create is NOT_SENT', async () => {
  const { hostile } = world;
  const { id } = world.table([{ Key: 'U0' }]);
  hostile.setMode({ name: 'pairing', update: 'hold' });
  const sent = hostile.nextRequest('batch_update');
  const creates = hostile.count('batch_create');
  const upserting = world.alongside('an upsert whose module traps', () =>
    lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: [{ fields: { Key: 'U0', Amount: 1 } }, { fields: { Key: 'U1', Amount: 2 } }], deadlineMs: 20_000 })),
    { deadlineMs: 20_000 },
  );
  await sent;
  made.base.at(-1).abortForTests(true);
  const outcome = await upserting;
  hostile.state.release?.();
  // Time for the broken instance to go on, were it let: it may not send the create.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const [updated, created] = outcome.value.items;
  assert.equal(updated.error?.code, 'INTERNAL_ERROR');
  assert.match(updated.error.message, /may have been applied/);
  assert.equal(created.error?.code, 'NOT_SENT');
  assert.equal(hostile.count('batch_create'), creates, 'the create was not sent');
});
