// @ts-check
'use strict';
// Issue 17, classes 1 and 2, against the built package: a Lark Base server (or a proxy, or the data
// in the base) that an attacker controls cannot make a call go on for ever, hold a table's writes
// hostage, or have a row reported with another row's record. Every case asserts the outcome, that
// the call ended within its deadline (and a slack for a loaded machine), and that another app's
// calls on the ordinary stand-in went on unaffected meanwhile. The other classes are in
// tests/larkbase-hostile-{secrets,answers,memory}.test.js; the hostile server is
// tests/lark-base-hostile.js.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const lb = require('..');
const { startWorld, watchEscapes, within, assertFailed, assertNoSecret, errorsOf, tally, SLACK_MS, HOSTILE_BASE } = require('./larkbase-hostile-harness');

const noneEscaped = watchEscapes();
/** @type {Awaited<ReturnType<typeof startWorld>>} */
let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world.close();
  noneEscaped();
});

/** Rows for the sample table, keyed `K<n>`. @param {number} count */
const keyRows = (count, from = 0) => Array.from({ length: count }, (_, i) => ({ fields: { Key: `K${from + i}`, Amount: from + i } }));

// Class 1: calls that never end.

test('endless pages: every way of never ending stops with BAD_RESPONSE, within the deadline', async () => {
  const { hostile } = world;
  // 2,000 pages take a few seconds, more on a busy machine: their deadline leaves room to reach
  // the page cap, which is what these cases are about.
  const long = 60_000;
  /** @type {Array<[string, Record<string, unknown>, (t: string) => any, number]>} most requests allowed */
  const cases = [
    ['a new page token on every page, one record a page', { tokens: 'new' }, (t) => lb.searchRecords(world.viaToken(t, { deadlineMs: long })), 2000],
    ['one record a page, a total of a million that lies', { tokens: 'new', total: 1_000_000 }, (t) => lb.searchRecords(world.viaToken(t, { deadlineMs: long })), 2000],
    ['one record a page, a total of 3 that pages on', { tokens: 'new', total: 3 }, (t) => lb.searchRecords(world.viaToken(t)), 3],
    ['a total of 0 with has_more', { tokens: 'new', total: 0 }, (t) => lb.searchRecords(world.viaToken(t)), 2],
    ['two page tokens in turn', { tokens: 'alternate' }, (t) => lb.searchRecords(world.viaToken(t)), 3],
    ['the page token of three pages back', { tokens: 'repeat' }, (t) => lb.searchRecords(world.viaToken(t)), 5],
    ['has_more without a page token', { tokens: 'none' }, (t) => lb.searchRecords(world.viaToken(t)), 1],
    ['a page token of 4 MiB', { tokens: 'huge', tokenBytes: 4 << 20 }, (t) => lb.searchRecords(world.viaToken(t)), 1],
    ['a page token of 5 KB', { tokens: 'huge', tokenBytes: 5000 }, (t) => lb.searchRecords(world.viaToken(t)), 1],
    ['a page token with a NUL', { tokens: 'control' }, (t) => lb.searchRecords(world.viaToken(t)), 1],
    ['full pages beyond a total of 1,000', { tokens: 'new', perPage: 500, total: 1000 }, (t) => lb.searchRecords(world.viaToken(t)), 4],
    ['tables: a new page token on every page', { tokens: 'new', perPage: 100 }, (t) => lb.listTables(world.viaToken(t)), 50],
    ['fields: a new page token on every page', { tokens: 'new', perPage: 100 }, (t) => lb.listFields(world.viaToken(t)), 50],
    ['fields: two page tokens in turn', { tokens: 'alternate' }, (t) => lb.listFields(world.viaToken(t)), 3],
  ];
  for (const [label, options, call, most] of cases) {
    const { id } = world.table();
    hostile.setMode({ name: 'endless', ...options });
    const from = hostile.requests.length;
    const outcome = await world.alongside(label, () => call(id), { deadlineMs: most === 2000 ? long : 3000 });
    assertFailed(label, outcome, 'BAD_RESPONSE', world.secrets());
    const sent = hostile.requests.slice(from);
    assert.ok(sent.length <= most, `${label}: ${sent.length} requests, at most ${most} expected`);
    const longest = Math.max(0, ...sent.map((r) => (r.query.get('page_token') ?? '').length));
    assert.ok(longest <= 4096, `${label}: a page token of ${longest} characters went into a URL`);
  }
});

test('pages with more records than asked for, and limit, which is exact', async () => {
  const { hostile } = world;
  const { id } = world.table(Array.from({ length: 1100 }, (_, i) => ({ Key: `L${i}` })));
  hostile.setMode({ name: 'honest' });
  for (const limit of [1, 10, 500, 501, 1000]) {
    const from = hostile.requests.length;
    const outcome = await world.alongside(`limit ${limit}`, () => lb.searchRecords(world.viaToken(id, { limit })));
    assert.ok(outcome.ok, `limit ${limit}: ${outcome.error}`);
    assert.equal(outcome.value.records.length, limit, `limit ${limit}: exactly that many records`);
    const sizes = hostile.requests.slice(from).map((r) => Number(r.query.get('page_size')));
    assert.equal(sizes.reduce((a, b) => a + b, 0), limit, `limit ${limit}: pages of ${sizes} ask for no more than the limit`);
  }
  for (const [label, extra, limit] of /** @type {Array<[string, number, number | undefined]>} */ ([
    ['one record more than the page asked for', 1, undefined],
    ['500 records for a limit of 10', 490, 10],
    ['1,000 records for a page of 500', 500, undefined],
  ])) {
    hostile.setMode({ name: 'endless', extra });
    const outcome = await world.alongside(label, () => lb.searchRecords(world.viaToken(id, limit === undefined ? {} : { limit })));
    assertFailed(label, outcome, 'BAD_RESPONSE', world.secrets());
  }
});

test('an upsert whose key lookup pages for ever fails, and its table takes writes again at once', async () => {
  const { hostile } = world;
  const { id } = world.table([{ Key: 'K0' }]);
  hostile.setMode({ name: 'endless', tokens: 'alternate' });
  const outcome = await world.alongside('upsert, endless lookup', () => lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: keyRows(3) })));
  assertFailed('upsert, endless lookup', outcome, 'BAD_RESPONSE', world.secrets());
  assert.equal(world.hostile.count('batch_create') + world.hostile.count('batch_update'), 0, 'nothing was written');
  hostile.setMode({ name: 'honest' });
  const next = await world.alongside('a create after it', () => lb.createRecords(world.viaToken(id, { rows: keyRows(2, 10), deadlineMs: 2000 })), { deadlineMs: 2000 });
  assert.deepEqual(tally(next.value), { created: 2 });
});

test('a server that never answers: the whole call, over many batches, ends within its deadline', async () => {
  const { hostile } = world;
  const { id } = world.table();
  hostile.setMode({ name: 'hang', actions: ['batch_create'] });
  const from = hostile.requests.length;
  const deadlineMs = 2500;
  const outcome = await world.alongside('create of 10 batches, never answered', () => lb.createRecords(world.viaToken(id, { rows: keyRows(5000), deadlineMs })), { deadlineMs });
  hostile.dropHeld();
  assert.ok(outcome.ok, `a per-item outcome, not ${outcome.error}`);
  assert.ok(outcome.elapsedMs >= deadlineMs - 100, `it waited for its deadline (${Math.round(outcome.elapsedMs)} ms)`);
  const items = outcome.value.items;
  assert.equal(items.length, 5000);
  const sent = hostile.requests.slice(from).filter((r) => r.action === 'batch_create');
  const sentRows = sent.reduce((n, r) => n + r.body.records.length, 0);
  for (const item of items.slice(0, sentRows)) {
    assert.equal(item.error?.code, 'TIMEOUT', 'a sent batch timed out');
    assert.match(item.error.message, /may have been applied/);
    assert.match(item.error.clientToken, /^[0-9a-f-]{36}$/);
  }
  assertNoSecret('never answered', errorsOf(outcome), world.secrets());
  // Rows in batches that were never sent were not applied, and should say so.
  const unsent = items.slice(sentRows);
  assert.ok(unsent.length >= 4000, `${sent.length} of 10 batches were sent`);
  assert.deepEqual(
    tally({ items: unsent }),
    { NOT_SENT: unsent.length },
    `rows never sent are NOT_SENT, not "${unsent[0].error.message}" (${unsent[0].error.clientToken ? 'with' : 'without'} a client token)`,
  );
});

test('reads that never end or end too late: each ends with TIMEOUT at its deadline', async () => {
  const { hostile } = world;
  const { id, ids } = world.table(Array.from({ length: 250 }, (_, i) => ({ Key: `G${i}` })));
  /** @type {Array<[string, () => Promise<any>]>} */
  const never = [
    ['a search never answered', () => lb.searchRecords(world.viaToken(id, { deadlineMs: 2000 }))],
    ['a table list never answered', () => lb.listTables(world.viaToken(id, { deadlineMs: 2000 }))],
    ['a field list never answered', () => lb.listFields(world.viaToken(id, { deadlineMs: 2000 }))],
    ['a get of 3 batches never answered', () => lb.getRecords(world.viaToken(id, { deadlineMs: 2000, rows: ids.map((recordId) => ({ recordId })) }))],
  ];
  /** @param {string} label @param {{ ok: boolean, error?: any, value?: any, elapsedMs: number }} outcome */
  const timedOut = (label, outcome) => {
    assert.ok(outcome.elapsedMs >= 1900, `${label}: ended early, after ${Math.round(outcome.elapsedMs)} ms`);
    const errors = errorsOf(outcome);
    assert.ok(errors.length > 0, `${label}: failed`);
    for (const error of errors) assert.equal(error.code, 'TIMEOUT', `${label}: ${error.message}`);
    assertNoSecret(label, errors, world.secrets());
  };
  hostile.setMode({ name: 'hang', actions: ['search', 'tables', 'fields', 'batch_get'] });
  const late = await world.another({ name: 'hang', actions: ['search'], lateMs: 3000 });
  const lateLabel = 'a search answered 1 s after its deadline';
  never.push([lateLabel, () => lb.searchRecords(late.params({ deadlineMs: 2000 }))]);
  const outcomes = await Promise.all(never.map(([label, call]) => world.alongside(label, call, { deadlineMs: 2000 })));
  hostile.dropHeld();
  never.forEach(([label], i) => timedOut(label, outcomes[i]));
});

test('a write turn held by a call that hangs is free again when that call ends at its deadline', async () => {
  const { hostile } = world;
  const { id } = world.table([{ Key: 'K0' }]);
  // The upsert's key lookup hangs while it holds the table; the create waits its turn.
  hostile.setMode({ name: 'hang', actions: ['search'], first: 1 });
  const looking = hostile.nextRequest('search');
  const hanging = world.alongside('an upsert whose lookup hangs', () => lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: keyRows(2), deadlineMs: 2000 })), { deadlineMs: 2000 });
  await looking;
  const began = Date.now();
  const later = lb.createRecords(world.viaToken(id, { rows: keyRows(3, 100), deadlineMs: 10_000 }));
  const another = lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: keyRows(1, 200), deadlineMs: 10_000 }));
  const first = await hanging;
  assertFailed('an upsert whose lookup hangs', first, 'TIMEOUT', world.secrets());
  const [created, upserted] = await Promise.all([later, another]);
  const waited = Date.now() - began;
  assert.deepEqual(tally(created), { created: 3 }, 'the later create was written');
  assert.deepEqual(tally(upserted), { created: 1 }, 'the later upsert was written');
  assert.ok(waited < 2000 + SLACK_MS, `the later writes waited ${waited} ms`);
});

test('a credential whose token endpoint hangs: the call ends at its deadline, and so does a second call of that app', async () => {
  const { hostile } = world;
  const { id } = world.table([{ Key: 'K0' }]);
  hostile.setMode({ name: 'hang', token: true });
  const params = world.viaCredential(id, { deadlineMs: 2000 });
  const [first, second] = await Promise.all([
    world.alongside('token endpoint hangs', () => lb.searchRecords(params), { deadlineMs: 2000 }),
    world.alongside('token endpoint hangs, the same app again', () => lb.createRecords({ ...params, rows: keyRows(1) }), { deadlineMs: 2000 }),
  ]);
  hostile.dropHeld();
  assertFailed('token endpoint hangs', first, 'TIMEOUT', world.secrets());
  assertFailed('token endpoint hangs, the same app again', second, 'TIMEOUT', world.secrets());
  assert.ok(first.elapsedMs >= 1900 && second.elapsedMs >= 1900, 'both waited for their deadline');
});

test('a script whose call met a hanging token endpoint exits soon after the call ends at its deadline', async () => {
  const { hostile } = world;
  const { id } = world.table([{ Key: 'K0' }]);
  hostile.setMode({ name: 'hang', token: true });
  // The credential's own token call may take 5 s; the Lark Base call may take 1 s.
  const params = world.viaCredential(id, { deadlineMs: 1000 });
  Object.assign(params.credential, { timeoutMs: 5000, deadlineMs: 5000, maxAttempts: 1 });
  const script = `
    const lb = require(${JSON.stringify(path.join(__dirname, '..'))});
    const began = Date.now();
    lb.searchRecords(${JSON.stringify(params)}).catch((e) => console.log(JSON.stringify({ code: e.code, settledMs: Date.now() - began })));
    process.on('exit', () => console.log(JSON.stringify({ exitMs: Date.now() - began })));`;
  const began = Date.now();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const exited = await within(new Promise((resolve) => child.on('exit', resolve)), 60_000, 'the script');
  hostile.dropHeld();
  const lines = out.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(exited, 0);
  assert.equal(lines[0].code, 'TIMEOUT', 'the call ended at its deadline');
  const wall = Date.now() - began;
  assert.ok(lines[1].exitMs < 1000 + SLACK_MS, `the script exited ${lines[1].exitMs} ms after the call began, ${lines[1].exitMs - lines[0].settledMs} ms after it ended (${wall} ms in all)`);
});

// Class 2: rows reported with another row's record.

test('batch_create answers that do not prove the pairing fail the batch with BAD_RESPONSE and its client token', async () => {
  const { hostile } = world;
  for (const create of ['reorder', 'swap', 'duplicate', 'empty', 'malformed', 'short', 'long', 'cells']) {
    const { id } = world.table();
    hostile.setMode({ name: 'pairing', create: create === 'swap' ? 'reorder' : create });
    const rows = create === 'swap' ? keyRows(2) : keyRows(3);
    const outcome = await world.alongside(`create, answer ${create}`, () => lb.createRecords(world.viaToken(id, { rows })));
    assert.ok(outcome.ok, `${create}: ${outcome.error}`);
    const clientTokens = new Set();
    for (const item of outcome.value.items) {
      assert.equal(item.error?.code, 'BAD_RESPONSE', `${create}: item ${item.item} ${item.action ?? ''} ${item.record?.record_id ?? ''}`);
      assert.match(item.error.message, /may have been applied/, create);
      assert.match(item.error.hint, new RegExp(item.error.clientToken), `${create}: the hint names the client token`);
      clientTokens.add(item.error.clientToken);
    }
    assertNoSecret(create, errorsOf(outcome), world.secrets());
    assert.equal(clientTokens.size, 1, `${create}: one client token for the call`);
  }
});

test('a retry with the client token of a failed create sends the same client_token, and nothing is created twice', async () => {
  const { hostile } = world;
  const { id } = world.table();
  const rows = keyRows(700);
  hostile.setMode({ name: 'pairing', create: 'reorder', onlyCreate: 2 });
  const first = await world.alongside('create, second batch reordered', () => lb.createRecords(world.viaToken(id, { rows })));
  assert.deepEqual(tally(first.value), { created: 500, BAD_RESPONSE: 200 });
  const clientToken = first.value.items[600].error.clientToken;
  const sentFirst = hostile.requests.filter((r) => r.action === 'batch_create').slice(-2).map((r) => r.query.get('client_token'));
  hostile.setMode({ name: 'honest' });
  const from = hostile.requests.length;
  const again = await world.alongside('the same rows again, with the client token', () => lb.createRecords(world.viaToken(id, { rows, clientToken })));
  assert.deepEqual(tally(again.value), { created: 700 });
  const sentAgain = hostile.requests.slice(from).filter((r) => r.action === 'batch_create').map((r) => r.query.get('client_token'));
  assert.deepEqual(sentAgain, sentFirst, 'each batch sent its client_token again');
  const stored = hostile.base.records(HOSTILE_BASE, id);
  assert.equal(stored.length, 700, 'no record was created twice');
  assert.deepEqual(
    again.value.items.map((/** @type {any} */ i) => i.record.record_id).sort(),
    stored.map((r) => r.record_id).sort(),
    'each row names a record that is in the table',
  );
});

test('a reordered answer is caught whatever columns tell the rows apart', async () => {
  const { hostile } = world;
  /** @type {Array<[string, Array<Record<string, unknown>>]>} */
  const cases = [
    ['checkbox', [{ Paid: true }, { Paid: false }]],
    ['date', [{ Due: '2026-01-01' }, { Due: '2026-02-01' }]],
    ['multiple select', [{ Tags: ['a'] }, { Tags: ['b'] }]],
    ['phone', [{ Phone: '+84 1' }, { Phone: '+84 2' }]],
    ['URL', [{ Website: 'https://a.example' }, { Website: 'https://b.example' }]],
  ];
  const wrong = [];
  for (const [kind, fields] of cases) {
    const { id } = world.table();
    hostile.setMode({ name: 'pairing', create: 'reorder' });
    const outcome = await world.alongside(`create, reordered, rows told apart by ${kind}`, () => lb.createRecords(world.viaToken(id, { rows: fields.map((f) => ({ fields: f })) })));
    const codes = outcome.value.items.map((/** @type {any} */ i) => String(i.error?.code ?? i.action));
    if (codes.some((/** @type {string} */ c) => c !== 'BAD_RESPONSE')) wrong.push(`${kind}: ${codes.join(', ')}`);
  }
  assert.deepEqual(wrong, [], 'each row was reported created with the record the answer gives the other row');
});

test('record IDs that the answer gives two rows of one call are caught', async () => {
  const { hostile } = world;
  {
    const { id } = world.table();
    hostile.setMode({ name: 'pairing', create: 'repeat-first' });
    const outcome = await world.alongside('create of 2 batches, the second answered with the first one\'s IDs', () => lb.createRecords(world.viaToken(id, { rows: keyRows(502).map((r, i) => ({ fields: { Key: `K${i % 2}` } })) })));
    const ids = outcome.value.items.filter((/** @type {any} */ i) => i.record).map((/** @type {any} */ i) => i.record.record_id);
    assert.equal(new Set(ids).size, ids.length, `${ids.length} rows reported created with ${new Set(ids).size} distinct records`);
  }
  {
    const { id, ids } = world.table([{ Key: 'U0' }]);
    hostile.setMode({ name: 'pairing', create: 'reuse', ids });
    const outcome = await world.alongside('upsert whose create is answered with the updated record', () =>
      lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: [{ fields: { Key: 'U0', Amount: 1 } }, { fields: { Key: 'NEW', Amount: 2 } }] })),
    );
    const [updated, created] = outcome.value.items;
    assert.equal(updated.action, 'updated');
    assert.notEqual(created.record?.record_id, updated.record.record_id, `item 1 reported ${created.action} with the record item 0 updated`);
  }
});

test('updates and deletes are reported done only for records the answer names', async () => {
  const { hostile } = world;
  /** @type {Array<[string, Record<string, unknown>, string[]]>} */
  const cases = [
    ['update answered with one record fewer', { update: 'fewer' }, ['updated', 'BAD_RESPONSE']],
    ['update answered with no records', { update: 'none' }, ['BAD_RESPONSE', 'BAD_RESPONSE']],
    ['update answered with other records', { update: 'others' }, ['BAD_RESPONSE', 'BAD_RESPONSE']],
    ['delete answered deleted: false', { delete: 'not-deleted' }, ['BAD_RESPONSE', 'BAD_RESPONSE']],
    ['delete answered without the first record', { delete: 'missing' }, ['BAD_RESPONSE', 'deleted']],
  ];
  for (const [label, options, expected] of cases) {
    const { id, ids } = world.table([{ Key: 'A' }, { Key: 'B' }]);
    hostile.setMode({ name: 'pairing', ...options });
    const rows = ids.map((recordId, i) => ({ recordId, fields: { Amount: i } }));
    const call = options.update ? () => lb.updateRecords(world.viaToken(id, { rows })) : () => lb.deleteRecords(world.viaToken(id, { rows }));
    const outcome = await world.alongside(label, call);
    assert.deepEqual(outcome.value.items.map((/** @type {any} */ i) => i.error?.code ?? i.action), expected, label);
    for (const error of errorsOf(outcome)) assert.match(error.message, /did not confirm/, label);
    assertNoSecret(label, errorsOf(outcome), world.secrets());
  }
});

test('an upsert lookup that lists one record under two keys writes neither; one listed twice is written once', async () => {
  const { hostile } = world;
  {
    const { id } = world.table([{ Key: 'A' }, { Key: 'B' }]);
    hostile.setMode({ name: 'pairing', lookup: 'two-keys', otherKey: 'B' });
    const from = hostile.requests.length;
    const outcome = await world.alongside('lookup lists record A under A and B', () =>
      lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: [{ fields: { Key: 'A', Amount: 1 } }, { fields: { Key: 'B', Amount: 2 } }] })),
    );
    for (const item of outcome.value.items) {
      assert.equal(item.error?.code, 'DUPLICATE_KEY', `item ${item.item}: ${item.action}`);
      assert.match(item.error.message, /'A'/);
      assert.match(item.error.message, /'B'/);
    }
    const writes = hostile.requests.slice(from).filter((r) => r.action.startsWith('batch_'));
    assert.deepEqual(writes.map((r) => r.action), [], 'no record was written for a guessed key');
  }
  {
    const { id, ids } = world.table([{ Key: 'A' }, { Key: 'B' }]);
    hostile.setMode({ name: 'pairing', lookup: 'twice' });
    const from = hostile.requests.length;
    const outcome = await world.alongside('lookup lists each record twice', () =>
      lb.upsertRecords(world.viaToken(id, { keys: ['Key'], rows: [{ fields: { Key: 'A', Amount: 1 } }, { fields: { Key: 'B', Amount: 2 } }] })),
    );
    assert.deepEqual(outcome.value.items.map((/** @type {any} */ i) => `${i.action} ${i.record?.record_id}`), ids.map((r) => `updated ${r}`));
    const updates = hostile.requests.slice(from).filter((r) => r.action === 'batch_update');
    assert.deepEqual(updates.map((r) => r.body.records.map((/** @type {any} */ x) => x.record_id)), [ids], 'one update of each record');
  }
});
