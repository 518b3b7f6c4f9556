// @ts-check
'use strict';
// The Lark Base stand-in itself keeps LARK_API.md's rules, so that tests against it mean something:
// the token check, the 500 and 100 caps, page tokens, the filter operators, write conflicts and
// client_token idempotency.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStandIn, DEMO_APP, SAMPLE_FIELDS } = require('./lark-stand-in');

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
/** @type {string} */
let token;
const APP = 'bascnStandInTest01';
const TABLE = 'tblStandInTest01';

before(async () => {
  lark = await startStandIn({ writeLatencyMs: 50 });
  lark.base.createBase({ appToken: APP });
  lark.base.createTable(APP, { tableId: TABLE, name: 'Sample', fields: SAMPLE_FIELDS });
  const answer = await fetch(`${lark.url}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret }),
  });
  token = (await answer.json()).tenant_access_token;
});
after(() => lark.close());

/** @param {string} method @param {string} path @param {unknown} [body] @param {string} [bearer] */
async function call(method, path, body, bearer = token) {
  const response = await fetch(`${lark.url}/open-apis/bitable/v1/apps/${APP}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, ...(await response.json()) };
}

const records = (/** @type {string} */ path) => `/tables/${TABLE}/records/${path}`;

test('a missing, unknown or expired token is refused as Lark does', async () => {
  const unknown = await call('GET', '/tables', undefined, 't-not-issued');
  assert.deepEqual([unknown.status, unknown.code], [400, 99991663]);
  const response = await fetch(`${lark.url}/open-apis/bitable/v1/apps/${APP}/tables`);
  assert.equal((await response.json()).code, 99991661);
  lark.advanceClock(3 * 3600);
  try {
    assert.equal((await call('GET', '/tables')).code, 99991663);
  } finally {
    lark.advanceClock(-3 * 3600);
  }
});

test('tables and fields are listed with their types', async () => {
  const tables = await call('GET', '/tables');
  assert.deepEqual(tables.data.items, [{ table_id: TABLE, name: 'Sample', revision: 1 }]);
  const fields = await call('GET', `/tables/${TABLE}/fields?page_size=500`);
  assert.equal(fields.data.items.length, SAMPLE_FIELDS.length);
  assert.deepEqual(fields.data.items[3].property.options.map((/** @type {any} */ o) => o.name), ['Todo', 'Done']);
  assert.equal((await call('GET', '/tables/tblNope/fields')).code, 1254041);
});

test('batches over the caps are refused with 1254104', async () => {
  const many = Array.from({ length: 501 }, (_, n) => ({ fields: { Key: `cap-${n}` } }));
  assert.equal((await call('POST', records('batch_create'), { records: many })).code, 1254104);
  const ids = Array.from({ length: 101 }, (_, n) => `rec${n}`);
  assert.equal((await call('POST', records('batch_get'), { record_ids: ids })).code, 1254104);
  const created = await call('POST', records('batch_create'), { records: many.slice(0, 500) });
  assert.equal(created.data.records.length, 500);
});

test('values are checked per field type, and nothing of a refused batch is written', async () => {
  const before = lark.base.records(APP, TABLE).length;
  for (const [fields, code] of /** @type {Array<[object, number]>} */ ([
    [{ Due: '2026-11-26' }, 1254064],
    [{ Owner: 'ou_a' }, 1254066],
    [{ Website: 'https://x.vn' }, 1254068],
    [{ Amount: '12' }, 1254015],
    [{ Total: 3 }, 1254015],
    [{ Nope: 1 }, 1254045],
  ])) {
    const answer = await call('POST', records('batch_create'), { records: [{ fields: { Key: 'ok' } }, { fields }] });
    assert.equal(answer.code, code, JSON.stringify(fields));
  }
  assert.equal(lark.base.records(APP, TABLE).length, before);
});

test('search pages with page tokens, filters with the known operators, and reads text as segments', async () => {
  const rows = [
    { Key: 'S-1', Amount: 5, Status: 'Todo', Due: 1_700_000_000_000 },
    { Key: 'S-2', Amount: 15, Status: 'Done' },
    { Key: 'S-3', Amount: 25, Name: 'Third row' },
  ];
  await call('POST', records('batch_create'), { records: rows.map((fields) => ({ fields })) });
  const filter = (/** @type {any} */ conditions, conjunction = 'and') => ({ filter: { conjunction, conditions } });
  const keys = async (/** @type {any} */ body) =>
    (await call('POST', records('search?page_size=500'), body)).data.items?.map((/** @type {any} */ r) => r.fields.Key[0].text) ?? [];
  assert.deepEqual(await keys(filter([{ field_name: 'Key', operator: 'is', value: ['S-2'] }])), ['S-2']);
  assert.deepEqual(
    await keys(filter([{ field_name: 'Key', operator: 'contains', value: ['s-'] }, { field_name: 'Amount', operator: 'isGreater', value: ['10'] }])),
    ['S-2', 'S-3'],
  );
  assert.deepEqual(await keys(filter([{ field_name: 'Amount', operator: 'isLess', value: ['10'] }, { field_name: 'Name', operator: 'isNotEmpty', value: [] }], 'or')), ['S-1', 'S-3']);
  assert.deepEqual(
    await keys({ ...filter([{ field_name: 'Key', operator: 'contains', value: ['S-'] }, { field_name: 'Status', operator: 'isNot', value: ['Done'] }]), sort: [{ field_name: 'Amount', desc: true }] }),
    ['S-3', 'S-1'],
  );
  const unknownOperator = await call('POST', records('search'), filter([{ field_name: 'Key', operator: 'like', value: ['x'] }]));
  assert.equal(unknownOperator.code, 99992402);
  assert.equal((await call('POST', records('search'), filter([{ field_name: 'Nope', operator: 'is', value: ['x'] }]))).code, 1254045);

  const body = filter([{ field_name: 'Key', operator: 'contains', value: ['cap-'] }]);
  const seen = new Set();
  let pageToken = '';
  let pages = 0;
  do {
    const page = await call('POST', records(`search?page_size=200${pageToken ? `&page_token=${pageToken}` : ''}`), body);
    assert.equal(page.data.total, 500);
    for (const item of page.data.items) seen.add(item.record_id);
    pageToken = page.data.has_more ? page.data.page_token : '';
    pages++;
  } while (pageToken);
  assert.deepEqual([seen.size, pages], [500, 3]);
  const mismatched = await call('POST', records('search?page_token=' + encodeURIComponent(Buffer.from('200:x').toString('base64url'))), body);
  assert.equal(mismatched.code, 99992402, 'a page token from another query is refused');
});

test('two writes to one table that overlap: the second gets a write conflict', async () => {
  const write = (/** @type {string} */ key) => call('POST', records('batch_create'), { records: [{ fields: { Key: key } }] });
  const first = write('conflict-1');
  await new Promise((resolve) => setTimeout(resolve, 10));
  const second = await write('conflict-2');
  assert.deepEqual([second.code, second.msg], [1254291, 'Write conflict']);
  assert.equal((await first).code, 0);
  assert.equal((await write('conflict-3')).code, 0, 'the table is free again');
  assert.ok(lark.base.stats.writeConflicts >= 1);
});

test('a batch_create retried with its client_token creates nothing twice', async () => {
  const before = lark.base.records(APP, TABLE).length;
  const body = { records: [{ fields: { Key: 'idem-1' } }] };
  const first = await call('POST', records('batch_create?client_token=8f0c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6'), body);
  const again = await call('POST', records('batch_create?client_token=8f0c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6'), body);
  assert.deepEqual(again.data, first.data);
  assert.equal(lark.base.records(APP, TABLE).length, before + 1);
});

test('batch_get, batch_update and batch_delete', async () => {
  const [id] = lark.base.addRecords(APP, TABLE, [{ Key: 'upd-1', Amount: 1 }]);
  const updated = await call('POST', records('batch_update'), { records: [{ record_id: id, fields: { Amount: 2, Key: null } }] });
  assert.equal(updated.code, 0);
  assert.equal((await call('POST', records('batch_update'), { records: [{ record_id: 'recMissing', fields: {} }] })).code, 1254043);
  const got = await call('POST', records('batch_get'), { record_ids: [id, 'recMissing'] });
  assert.deepEqual(got.data.records[0].fields.Amount, 2);
  assert.equal(got.data.records[0].fields.Key, undefined, 'a cleared cell is left out');
  assert.deepEqual(got.data.absent_record_ids, ['recMissing']);
  const deleted = await call('POST', records('batch_delete'), { records: [id] });
  assert.deepEqual(deleted.data.records, [{ record_id: id, deleted: true }]);
  assert.equal((await call('POST', records('batch_delete'), { records: [id] })).code, 1254043);
});

test('the old list route still answers for tables the stand-in does not hold', async () => {
  const response = await fetch(`${lark.url}/open-apis/bitable/v1/apps/bascnDemo/tables/tblDemo/records`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal((await response.json()).data.items[0].record_id, 'recDemo001');
});

test('one record at a time: create, get, update and delete, with the same checks', async () => {
  const created = await call('POST', `/tables/${TABLE}/records`, { fields: { Key: 'one-1', Amount: 3 } });
  const id = created.data.record.record_id;
  assert.match(id, /^rec/);
  assert.equal((await call('GET', `/tables/${TABLE}/records/${id}`)).data.record.fields.Amount, 3);
  assert.equal((await call('PUT', `/tables/${TABLE}/records/${id}`, { fields: { Amount: 4 } })).data.record.fields.Amount, 4);
  assert.equal((await call('PUT', `/tables/${TABLE}/records/${id}`, { fields: { Due: 'soon' } })).code, 1254064);
  assert.deepEqual((await call('DELETE', `/tables/${TABLE}/records/${id}`)).data, { record_id: id, deleted: true });
  assert.equal((await call('GET', `/tables/${TABLE}/records/${id}`)).code, 1254043);
});
