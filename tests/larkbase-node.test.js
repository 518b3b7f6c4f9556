// @ts-check
'use strict';
// The Larkbase node as shipped in dist/, driven through a stand-in for n8n's execution and
// load-options contexts, against the Lark Base part of the local stand-in. Real n8n runs it in
// tests/e2e/larkbase.test.js.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { NodeApiError, NodeOperationError } = require('n8n-workflow');
const pkg = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8'));
const { startStandIn, SAMPLE_FIELDS, sampleRow } = require('./lark-stand-in');
const { SECRETS, record } = require('./helpers');

const nodeFile = pkg.n8n.nodes.find((/** @type {string} */ f) => f.endsWith('Larkbase.node.js'));
const { Larkbase } = require(`../${nodeFile}`);
const codex = require(`../${nodeFile.replace(/\.js$/, '.json')}`);
const { getToken } = require('../dist/js/index');

const APP = { appId: 'cli_larkbase_node_0001', appSecret: SECRETS.main };
const BASE = 'bascnNodeTest000001';

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
/** @type {string} */
let token;

before(async () => {
  lark = await startStandIn({ apps: { [APP.appId]: APP.appSecret }, rateLimitPerSecond: 10_000 });
  lark.base.createBase({ appToken: BASE });
  token = (await getToken({ ...APP, domain: lark.url })).access_token;
});
after(() => lark.close());

/** A fresh table of the sample columns, so that each test sees only its own rows. */
function newTable(/** @type {string} */ name) {
  return lark.base.createTable(BASE, { name, fields: SAMPLE_FIELDS });
}

/** @param {string} value @param {string} [mode] */
const locator = (value, mode = 'id') => ({ __rl: true, mode, value });

/**
 * n8n's `httpRequest` helper as far as the node relies on it (as in tests/n8n-node.test.js).
 *
 * @param {import('n8n-workflow').IHttpRequestOptions} options
 */
async function httpRequest(options) {
  assert.equal(options.returnFullResponse, true);
  assert.equal(options.ignoreHttpStatusErrors, true);
  assert.equal(options.disableFollowRedirect, true);
  const response = await fetch(options.url, {
    method: options.method,
    headers: /** @type {Record<string, string>} */ (options.headers),
    body: /** @type {string | undefined} */ (options.body),
    redirect: 'manual',
    signal: /** @type {AbortSignal | undefined} */ (options.abortSignal),
  });
  return {
    statusCode: response.status,
    headers: Object.fromEntries(/** @type {Iterable<[string, string]>} */ (/** @type {unknown} */ (response.headers))),
    body: await response.text(),
  };
}

/**
 * @param {{ items?: Array<Record<string, unknown>>, params: Record<string, unknown> | ((name: string, i: number) => unknown),
 *   credentials?: Record<string, unknown>, continueOnFail?: boolean }} setup
 */
function executeContext({ items = [{}], params, credentials, continueOnFail = false }) {
  const lookup = typeof params === 'function' ? params : (/** @type {string} */ name) => params[name];
  const node = {
    id: 'n2', name: 'Larkbase', type: 'larkbase', typeVersion: 1, position: [0, 0], parameters: {},
    ...(credentials ? { credentials: { larkbaseApi: { id: '1', name: 'Lark' } } } : {}),
  };
  return /** @type {import('n8n-workflow').IExecuteFunctions} */ (
    /** @type {unknown} */ ({
      getInputData: () => items.map((json) => ({ json })),
      getNodeParameter: (
        /** @type {string} */ name,
        /** @type {number} */ i,
        /** @type {unknown} */ fallback,
        /** @type {{ extractValue?: boolean }} */ options,
      ) => {
        const value = lookup(name, i) ?? fallback;
        const rl = /** @type {{ __rl?: boolean, value?: unknown }} */ (value);
        return options?.extractValue && rl && typeof rl === 'object' && rl.__rl ? rl.value : value;
      },
      getCredentials: async () => {
        assert.ok(credentials, 'the node asked for the credential');
        return credentials;
      },
      continueOnFail: () => continueOnFail,
      getNode: () => node,
      helpers: { httpRequest },
    })
  );
}

/**
 * Node parameters for the access-token path.
 *
 * @param {Record<string, unknown>} extra
 * @returns {Record<string, unknown>}
 */
const viaToken = (extra) => ({
  credentialSource: 'accessToken',
  accessToken: token,
  domain: 'custom',
  baseUrl: lark.url,
  base: locator(BASE),
  resource: 'record',
  options: {},
  ...extra,
});

/**
 * @param {import('n8n-workflow').IExecuteFunctions} context
 * @returns {Promise<import('n8n-workflow').INodeExecutionData[]>}
 */
async function run(context) {
  try {
    const [out] = await new Larkbase().execute.call(context);
    record('larkbase node output', out.slice(0, 5));
    return out;
  } catch (error) {
    throw record('larkbase node error', error);
  }
}

const autoMap = { mappingMode: 'autoMapInputData', value: null };
/** Input items for the sample table, as Larkbase Get Token's output would carry them on. */
const rows = (/** @type {number} */ count, from = 0) =>
  Array.from({ length: count }, (_, n) => /** @type {Record<string, unknown>} */ ({ ...sampleRow(from + n), access_token: token }));

test('the node describes itself as n8n expects', () => {
  const { description } = new Larkbase();
  assert.equal(description.displayName, 'Larkbase');
  assert.equal(description.name, 'larkbase');
  assert.equal(description.usableAsTool, true);
  assert.deepEqual(description.icon, { light: 'file:larkbase.svg', dark: 'file:larkbase.dark.svg' });
  assert.equal(description.credentials?.[0].name, 'larkbaseApi');
  const accessToken = description.properties.find((/** @type {any} */ p) => p.name === 'accessToken');
  assert.equal(accessToken?.default, '={{ $json.access_token }}');
  const operations = description.properties
    .filter((/** @type {any} */ p) => p.name === 'operation')
    .flatMap((/** @type {any} */ p) => p.options.map((/** @type {any} */ o) => `${p.displayOptions.show.resource[0]}:${o.value}`));
  assert.deepEqual(operations.sort(), [
    'field:list', 'record:create', 'record:delete', 'record:get', 'record:search', 'record:update', 'record:upsert', 'table:list',
  ]);
  const base = description.properties.find((/** @type {any} */ p) => p.name === 'base');
  assert.deepEqual(base?.modes?.map((/** @type {any} */ m) => m.name), ['url', 'id']);
  const table = description.properties.find((/** @type {any} */ p) => p.name === 'table');
  assert.deepEqual(table?.modes?.map((/** @type {any} */ m) => m.name), ['list', 'url', 'id']);
  for (const property of description.properties) {
    assert.ok(property.description || property.type === 'options' || property.type === 'fixedCollection', `${property.name} is described`);
  }
  assert.equal(codex.node, `${pkg.name}.larkbase`);
  assert.ok(pkg.n8n.nodes.includes('dist/js/nodes/Larkbase/Larkbase.node.js'));
});

test('Larkbase Get Token → Larkbase: an upsert of 1,200 items creates, a second one updates, every item paired', async () => {
  const tableId = newTable('upsert');
  const params = viaToken({ table: locator(tableId), operation: 'upsert', columns: { ...autoMap, matchingColumns: ['Key'] } });
  const items = rows(1200);
  const first = await run(executeContext({ items, params }));
  assert.equal(first.length, 1200);
  first.forEach((out, n) => {
    assert.deepEqual(out.pairedItem, { item: n });
    assert.equal(out.json.action, 'created');
    assert.match(String(out.json.record_id), /^rec/);
    assert.equal(/** @type {any} */ (out.json.fields).Key, items[n].Key);
  });
  assert.equal(lark.base.records(BASE, tableId).length, 1200);
  const stored = lark.base.records(BASE, tableId)[7].fields;
  assert.equal(stored.Due, Date.parse(String(items[7].Due)), 'the ISO date became Unix milliseconds');
  assert.equal(stored.access_token, undefined, 'input fields that are no column are left out');

  const again = await run(executeContext({ items: rows(1300).map((r) => ({ ...r, Name: `${r.Name} (2)` })), params }));
  assert.equal(again.filter((o) => o.json.action === 'updated').length, 1200);
  assert.equal(again.filter((o) => o.json.action === 'created').length, 100);
  assert.equal(lark.base.records(BASE, tableId).length, 1300);
  assert.equal(lark.base.records(BASE, tableId)[0].fields.Name, 'Item 0 (2)');
  assert.equal(lark.base.stats.largestBatch <= 500, true);
});

test('a create of 1,200 items that are all alike makes 1,200 records: no two batches share a client token', async () => {
  const tableId = newTable('alike');
  const params = viaToken({ table: locator(tableId), operation: 'create', columns: autoMap });
  const items = Array.from({ length: 1200 }, () => ({ Key: 'Todo', access_token: token }));
  const out = await run(executeContext({ items, params }));
  assert.ok(out.every((o) => o.json.error === undefined && /^rec/.test(String(o.json.record_id))), JSON.stringify(out.find((o) => o.json.error)?.json));
  assert.equal(new Set(out.map((o) => o.json.record_id)).size, 1200);
  assert.equal(lark.base.records(BASE, tableId).length, 1200);
});

test('Search returns every record across pages, paired to its input item, text as plain strings', async () => {
  const tableId = newTable('search');
  lark.base.addRecords(BASE, tableId, Array.from({ length: 1234 }, (_, n) => ({ Key: `S-${n}`, Amount: n })));
  const before = lark.requests.length;
  const all = await run(executeContext({ params: viaToken({ table: locator(tableId), operation: 'search', returnAll: true }) }));
  assert.equal(all.length, 1234);
  assert.deepEqual(all[1233].json.fields, { Key: 'S-1233', Amount: 1233, Created: /** @type {any} */ (all[1233].json.fields).Created, 'No.': '1234' });
  assert.ok(all.every((o) => JSON.stringify(o.pairedItem) === '{"item":0}'));
  const searches = lark.requests.slice(before).filter((r) => r.path.endsWith('/records/search'));
  assert.equal(searches.length, 3);

  const filtered = await run(
    executeContext({
      items: [{}, {}],
      params: (name, i) =>
        viaToken({
          table: locator(tableId),
          operation: 'search',
          returnAll: false,
          limit: 5,
          filters: { conditions: [{ field: 'Amount', operator: i === 0 ? 'isLess' : 'isGreater', value: i === 0 ? '3' : '1230' }] },
          sort: { rules: [{ field: 'Amount', desc: true }] },
          options: { fieldNames: ['Key'], simplify: i === 0 },
        })[name],
    }),
  );
  assert.deepEqual(
    filtered.map((o) => [o.pairedItem, o.json.fields]),
    [
      [{ item: 0 }, { Key: 'S-2' }],
      [{ item: 0 }, { Key: 'S-1' }],
      [{ item: 0 }, { Key: 'S-0' }],
      [{ item: 1 }, { Key: [{ type: 'text', text: 'S-1233' }] }],
      [{ item: 1 }, { Key: [{ type: 'text', text: 'S-1232' }] }],
      [{ item: 1 }, { Key: [{ type: 'text', text: 'S-1231' }] }],
    ],
  );
});

test('the credential path: a token from the cache for every request, no token in the output', async () => {
  const tableId = newTable('credential');
  const credentials = { ...APP, domain: 'custom', baseUrl: lark.url };
  const params = { credentialSource: 'larkbaseApi', base: locator(BASE), table: locator(tableId), resource: 'record', options: {} };
  const created = await run(
    executeContext({
      items: rows(3),
      params: { ...params, operation: 'create', columns: autoMap },
      credentials,
    }),
  );
  assert.deepEqual(created.map((o) => Object.keys(o.json).sort()), Array(3).fill(['fields', 'record_id']));
  const tokenRequests = lark.requests.filter((r) => r.path.includes('access_token')).length;
  const found = await run(executeContext({ params: { ...params, operation: 'search', returnAll: true }, credentials }));
  assert.equal(found.length, 3);
  assert.equal(lark.requests.filter((r) => r.path.includes('access_token')).length, tokenRequests, 'the cached token');
  assert.ok(!JSON.stringify(found).includes(SECRETS.main));
});

test('Continue On Fail: one bad item among many becomes an error item naming the column; the others are written', async () => {
  const tableId = newTable('continue');
  const items = rows(50);
  items[17] = { ...items[17], Due: 'next Tuesday' };
  items[30] = { ...items[30], Amount: 'a lot' };
  const params = viaToken({ table: locator(tableId), operation: 'create', columns: autoMap });
  const out = await run(executeContext({ items, params, continueOnFail: true }));
  assert.equal(out.length, 50);
  out.forEach((o, n) => assert.deepEqual(o.pairedItem, { item: n }));
  const error17 = /** @type {any} */ (out[17].json.error);
  assert.equal(error17.code, 'INVALID_VALUE');
  assert.equal(error17.column, 'Due');
  assert.match(error17.message, /^column 'Due' \(date\) cannot take a string: expected an ISO 8601 date/);
  assert.equal(/** @type {any} */ (out[30].json.error).column, 'Amount');
  assert.equal(lark.base.records(BASE, tableId).length, 48);
});

test('without Continue On Fail, a bad item stops the execution before anything is written', async () => {
  const tableId = newTable('stop');
  const items = rows(10);
  items[4] = { ...items[4], Paid: 'perhaps' };
  const params = viaToken({ table: locator(tableId), operation: 'upsert', columns: { ...autoMap, matchingColumns: ['Key'] } });
  await assert.rejects(run(executeContext({ items, params })), (error) => {
    assert.ok(error instanceof NodeOperationError);
    assert.equal(error.context.itemIndex, 4);
    assert.match(error.message, /column 'Paid' \(checkbox\)/);
    return true;
  });
  assert.equal(lark.base.records(BASE, tableId).length, 0);
});

test('upsert reports duplicate keys per item, in the input and in the table, and guesses nothing', async () => {
  const tableId = newTable('duplicates');
  lark.base.addRecords(BASE, tableId, [{ Key: 'twice-in-table' }, { Key: 'twice-in-table' }, { Key: 'once' }]);
  const items = [{ Key: 'twice-in-input' }, { Key: 'once', Name: 'updated' }, { Key: 'twice-in-input' }, { Key: 'twice-in-table' }, { Key: 'fresh' }];
  const params = viaToken({ table: locator(tableId), operation: 'upsert', columns: { ...autoMap, matchingColumns: ['Key'] } });
  const out = await run(executeContext({ items, params, continueOnFail: true }));
  const shown = out.map((o) => /** @type {any} */ (o.json).action ?? /** @type {any} */ (o.json).error.code);
  assert.deepEqual(shown, ['DUPLICATE_KEY', 'updated', 'DUPLICATE_KEY', 'DUPLICATE_KEY', 'created']);
  assert.match(/** @type {any} */ (out[0].json.error).message, /as item 2/);
  assert.match(/** @type {any} */ (out[3].json.error).message, /matches 2 records/);
});

test('columns mapped by hand, update by record ID, get several IDs per item, delete', async () => {
  const tableId = newTable('by-hand');
  const [a, b, c] = lark.base.addRecords(BASE, tableId, [{ Key: 'A' }, { Key: 'B' }, { Key: 'C' }]);
  const byHand = {
    mappingMode: 'defineBelow',
    value: { Amount: '12.5', Due: '2026-11-26T08:30:00+07:00', Owner: 'ou_abc', Website: 'https://example.vn', Tags: 'x, y', Status: 'Done' },
  };
  const updated = await run(executeContext({ params: viaToken({ table: locator(tableId), operation: 'update', recordId: b, columns: byHand }) }));
  assert.equal(updated[0].json.record_id, b);
  assert.deepEqual(lark.base.records(BASE, tableId)[1].fields, {
    Key: 'B',
    Amount: 12.5,
    Due: Date.UTC(2026, 10, 26, 1, 30),
    Owner: [{ id: 'ou_abc' }],
    Website: { link: 'https://example.vn', text: 'https://example.vn' },
    Tags: ['x', 'y'],
    Status: 'Done',
  });
  const unknown = { mappingMode: 'defineBelow', value: { Nope: 1 } };
  await assert.rejects(
    run(executeContext({ params: viaToken({ table: locator(tableId), operation: 'update', recordId: b, columns: unknown }) })),
    /the table has no column named 'Nope'/,
  );

  const got = await run(
    executeContext({
      items: [{ ids: [a, c] }, { ids: `${b}, recMissing` }],
      params: (name, i) => viaToken({ table: locator(tableId), operation: 'get', recordId: i === 0 ? [a, c] : `${b}, recMissing` })[name],
      continueOnFail: true,
    }),
  );
  assert.deepEqual(
    got.map((o) => [o.pairedItem, o.json.record_id ?? /** @type {any} */ (o.json.error).code]),
    [[{ item: 0 }, a], [{ item: 0 }, c], [{ item: 1 }, b], [{ item: 1 }, 'NOT_FOUND']],
  );
  const deleted = await run(executeContext({ params: viaToken({ table: locator(tableId), operation: 'delete', recordId: `${a},${c}` }) }));
  assert.deepEqual(deleted.map((o) => o.json), [{ record_id: a, deleted: true }, { record_id: c, deleted: true }]);
  assert.deepEqual(lark.base.records(BASE, tableId).map((r) => r.record_id), [b]);
});

test('tables and fields are listed, the table taken from the base URL when left empty', async () => {
  const tableId = newTable('listing');
  const tables = await run(executeContext({ params: viaToken({ resource: 'table', operation: 'list', base: locator(`https://acme.larksuite.com/base/${BASE}`, 'url') }) }));
  assert.ok(tables.some((t) => t.json.table_id === tableId && t.json.name === 'listing'));
  const fields = await run(
    executeContext({
      params: viaToken({ resource: 'field', operation: 'list', base: locator(`https://acme.larksuite.com/base/${BASE}?table=${tableId}&view=vewX`, 'url'), table: locator('', 'list') }),
    }),
  );
  assert.deepEqual(fields.map((f) => f.json.field_name), SAMPLE_FIELDS.map((f) => f.name));
  assert.equal(fields.find((f) => f.json.field_name === 'Total')?.json.read_only, true);
});

test('a wiki URL gets an error that says what to paste instead', async () => {
  const params = viaToken({ table: locator('tblX'), operation: 'search', base: locator('https://acme.larksuite.com/wiki/wikcnAbc123', 'url') });
  await assert.rejects(run(executeContext({ params })), (error) => {
    assert.ok(error instanceof NodeOperationError);
    assert.match(error.message, /^base is a wiki URL .*\/base\/<app_token>/);
    return true;
  });
});

test('an expired token: TOKEN_INVALID with a hint, as a NodeApiError; no token in the error', async () => {
  const tableId = newTable('expired');
  const params = viaToken({ table: locator(tableId), operation: 'search', returnAll: true, accessToken: 't-00000000000000000000000000000000' });
  await assert.rejects(run(executeContext({ params })), (error) => {
    assert.ok(error instanceof NodeApiError);
    assert.match(error.message, /Lark returned code 99991663/);
    assert.match(String(error.description), /Larkbase Get Token/);
    assert.ok(!JSON.stringify(error).includes('t-00000000000000000000000000000000'));
    return true;
  });
});

test('writes to one table from concurrent executions take turns instead of colliding; a conflict is retried', async () => {
  const slow = await startStandIn({ apps: { [APP.appId]: APP.appSecret }, writeLatencyMs: 30 });
  try {
    slow.base.createBase({ appToken: BASE });
    const tableId = slow.base.createTable(BASE, { name: 'turns', fields: SAMPLE_FIELDS });
    const slowToken = (await getToken({ ...APP, domain: slow.url })).access_token;
    const params = (/** @type {number} */ from) =>
      viaToken({ accessToken: slowToken, baseUrl: slow.url, table: locator(tableId), operation: 'upsert', columns: { ...autoMap, matchingColumns: ['Key'] } });
    const runs = await Promise.all([0, 1, 2].map((k) => run(executeContext({ items: rows(600, k * 600), params: params(k * 600) }))));
    assert.deepEqual(runs.map((r) => r.length), [600, 600, 600]);
    assert.equal(slow.base.stats.writeConflicts, 0);
    assert.equal(slow.base.records(BASE, tableId).length, 1800);

    slow.inject('write-conflict');
    const retried = await run(executeContext({ items: rows(1, 5000), params: params(5000) }));
    assert.equal(retried[0].json.action, 'created');
  } finally {
    await slow.close();
  }
});

/**
 * n8n's load-options context as the editor drives it: `current` is what the editor sends, its
 * expressions already resolved (an unresolvable one as null). Like n8n, it refuses to extract the
 * value of a parameter that is hidden (Custom Base URL while Domain is not Custom Base URL).
 *
 * @param {Record<string, unknown>} current
 * @param {Record<string, unknown>} [credentials] the credential's data, when one is selected
 * @param {typeof httpRequest} [request] n8n's request helper
 */
function loadContext(current, credentials, request = httpRequest) {
  return /** @type {import('n8n-workflow').ILoadOptionsFunctions} */ (
    /** @type {unknown} */ ({
      getCurrentNodeParameter: (/** @type {string} */ name, /** @type {{ extractValue?: boolean }} */ options) => {
        if (options?.extractValue && name === 'baseUrl' && current.domain !== 'custom') throw new Error('Could not find property');
        const value = current[name];
        const rl = /** @type {{ __rl?: boolean, value?: unknown }} */ (value);
        return options?.extractValue && rl && typeof rl === 'object' && rl.__rl ? rl.value : value;
      },
      getCredentials: async () => {
        assert.ok(credentials, 'the node asked for a credential it was not given');
        return credentials;
      },
      getNode: () => ({ name: 'Larkbase', parameters: {}, ...(credentials ? { credentials: { larkbaseApi: { id: '1', name: 'Lark' } } } : {}) }),
      helpers: { httpRequest: request },
    })
  );
}

/**
 * Every list the editor shows for a node set up as `current`: the Table list, the column names
 * (Filters, Sort, Fields to Return) and the column mapper, each as it would reach the person:
 * results, or the message n8n shows.
 *
 * @param {Record<string, unknown>} current
 * @param {Record<string, unknown>} [credentials]
 * @param {typeof httpRequest} [request]
 */
async function editorLists(current, credentials, request) {
  const node = new Larkbase();
  const context = loadContext(current, credentials, request);
  /** @param {() => Promise<unknown>} load */
  const shown = (load) =>
    load().then(
      (value) => ({ value }),
      (/** @type {unknown} */ error) => {
        assert.ok(error instanceof NodeOperationError, 'n8n shows a NodeOperationError');
        return { error: error.message };
      },
    );
  const mapper = await node.methods.resourceMapping.getColumns.call(context);
  return {
    tables: await shown(() => node.methods.listSearch.searchTables.call(context)),
    columns: await shown(() => node.methods.loadOptions.getColumnNames.call(context)),
    mapper: { fields: mapper.fields.map((/** @type {any} */ f) => `${f.id}:${f.type}`), notice: String(mapper.emptyFieldsNotice) },
  };
}

test('the editor lists tables and columns with the credential; the column mapper offers writable columns with their types', async () => {
  const tableId = newTable('editor');
  const credentials = { ...APP, domain: 'custom', baseUrl: lark.url };
  const lists = await editorLists({ credentialSource: 'larkbaseApi', base: locator(BASE), table: locator(tableId, 'list') }, credentials);
  assert.ok(/** @type {any} */ (lists.tables).value.results.some((/** @type {any} */ t) => t.value === tableId && t.name === 'editor'));
  assert.equal(/** @type {any} */ (lists.columns).value.length, SAMPLE_FIELDS.length);
  assert.deepEqual(lists.mapper.fields, [
    'Key:string', 'Name:string', 'Amount:number', 'Status:options', 'Tags:string', 'Due:dateTime', 'Paid:boolean', 'Owner:string', 'Phone:string', 'Website:string',
  ]);
  // Shown under Map Automatically: the columns and their types, never a stale "no columns".
  assert.match(lists.mapper.notice, /^The table's columns that can be written: Key \(text\), Name \(text\), Amount \(number\), Status \(single select\)/);
  const filtered = await new Larkbase().methods.listSearch.searchTables.call(
    loadContext({ credentialSource: 'larkbaseApi', base: locator(BASE) }, credentials),
    'EDIT',
  );
  assert.deepEqual(filtered.results, [{ name: 'editor', value: tableId }]);
  const mapper = await new Larkbase().methods.resourceMapping.getColumns.call(
    loadContext({ credentialSource: 'larkbaseApi', base: locator(BASE), table: locator(tableId) }, credentials),
  );
  assert.equal(mapper.fields[0].defaultMatch, true, 'the primary column is the key by default');
  assert.deepEqual(mapper.fields.filter((/** @type {any} */ f) => f.canBeUsedToMatch).map((/** @type {any} */ f) => f.id), ['Key', 'Name', 'Amount', 'Status', 'Due', 'Phone', 'Website']);
});

test('with the default Access Token, the editor lists load with the token the node before gave, and say why when they cannot', async () => {
  const tableId = newTable('editor token');
  const viaEditor = (/** @type {Record<string, unknown>} */ extra) => ({
    credentialSource: 'accessToken',
    domain: 'custom',
    baseUrl: lark.url,
    base: locator(`https://acme.larksuite.com/base/${BASE}?table=${tableId}&view=vewDefault01`, 'url'),
    table: locator('', 'list'),
    ...extra,
  });
  const before = lark.requests.length;

  // The editor sends null for `{{ $json.access_token }}` until Larkbase Get Token has run.
  let lists = await editorLists(viaEditor({ accessToken: null }));
  for (const shown of [lists.tables, lists.columns]) assert.match(/** @type {any} */ (shown).error, /^The Access Token has no value in the editor yet: .*Execute previous nodes.*Larkbase API Credential\.$/);
  assert.deepEqual(lists.mapper.fields, []);
  assert.match(lists.mapper.notice, /^<strong>No columns to show\.<\/strong> The Access Token has no value in the editor yet/);
  // It ran, but its output had no access_token (another node in between).
  lists = await editorLists(viaEditor({ accessToken: '' }));
  assert.match(/** @type {any} */ (lists.tables).error, /^The Access Token is empty: the input of this node has no access_token\. .*\$\('Larkbase Get Token'\)/);
  lists = await editorLists(viaEditor({ accessToken: undefined }));
  assert.match(/** @type {any} */ (lists.columns).error, /^The Access Token is empty/);
  assert.equal(lark.requests.length, before, 'nothing was sent without a token');

  // Once it has run, the editor sends its token: the browser's address of the base, with
  // ?table= and &view=, names the table when Table is left empty.
  lists = await editorLists(viaEditor({ accessToken: token }));
  assert.ok(/** @type {any} */ (lists.tables).value.results.some((/** @type {any} */ t) => t.value === tableId));
  assert.equal(/** @type {any} */ (lists.columns).value[0].value, 'Key');
  assert.equal(lists.mapper.fields.length, 10);
  // Domain Lark hides Custom Base URL; the lists must not ask n8n to extract it. Nothing leaves
  // this machine: the request helper refuses, as a network without Lark would.
  /** @type {string[]} */
  const aimedAt = [];
  const offline = async (/** @type {import('n8n-workflow').IHttpRequestOptions} */ options) => {
    aimedAt.push(options.url);
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  };
  lists = await editorLists(viaEditor({ accessToken: token, domain: 'lark', baseUrl: undefined }), undefined, offline);
  assert.match(/** @type {any} */ (lists.tables).error, /^Could not reach https:\/\/open\.larksuite\.com: ECONNREFUSED/);
  assert.ok(aimedAt.length > 0 && aimedAt.every((url) => url.startsWith('https://open.larksuite.com/open-apis/bitable/v1/apps/')));
});

test('a list that cannot load says why and what to do: wrong base, no permission, a refused token, no credential, no columns to write', async () => {
  const forbidden = lark.base.createBase({ name: 'not shared with the app', forbidden: true });
  const computedOnly = lark.base.createTable(BASE, { name: 'computed', fields: [{ name: 'Total', type: 20 }, { name: 'Created', type: 1001 }] });
  const hostile = lark.base.createTable(BASE, { name: '<img src=x onerror=alert(1)>', fields: [{ name: '<b>Key</b> & "more"', type: 1 }] });
  const viaToken = (/** @type {Record<string, unknown>} */ extra) => ({ credentialSource: 'accessToken', accessToken: token, domain: 'custom', baseUrl: lark.url, ...extra });
  const shownEverywhere = async (/** @type {Record<string, unknown>} */ current, /** @type {RegExp} */ why) => {
    const lists = await editorLists(current);
    assert.match(/** @type {any} */ (lists.tables).error, why, 'the Table list');
    assert.match(/** @type {any} */ (lists.columns).error, why, 'the column lists');
    assert.match(lists.mapper.notice, why, 'the column mapper');
    assert.doesNotMatch(lists.mapper.notice, /no columns that can be written/);
    for (const text of [/** @type {any} */ (lists.tables).error, /** @type {any} */ (lists.columns).error]) {
      assert.ok(!text.includes('-'), `no ASCII hyphen, which n8n's Table list would break the message at: ${text}`);
    }
    for (const text of [/** @type {any} */ (lists.tables).error, /** @type {any} */ (lists.columns).error, lists.mapper.notice]) {
      assert.ok(!text.includes(token), 'no token in the message');
    }
    return lists;
  };

  await shownEverywhere(viaToken({ base: locator('bascnNoSuchBase00001'), table: locator('tblX') }), /Lark returned code 1254040.*BaseTokenNotFound.*Check the base/);
  await shownEverywhere(viaToken({ base: locator(forbidden), table: locator('tblX') }), /Lark returned code 91403.*Give the app access to the base/);
  await shownEverywhere(
    viaToken({ accessToken: 't-00000000000000000000000000000000', base: locator(BASE), table: locator('tblX') }),
    /Lark returned code 99991663.*Domain must also be where Larkbase Get Token got the token\.$/,
  );
  await shownEverywhere({ credentialSource: 'larkbaseApi', base: locator(BASE), table: locator('tblX') }, /^(<strong>No columns to show\.<\/strong> )?No Larkbase API credential is selected: select one, or set Authentication to Access Token Field\.$/);
  await shownEverywhere(viaToken({ base: locator('https://acme.larksuite.com/wiki/wikcnAbc123', 'url'), table: locator('tblX') }), /Base is a wiki URL/);

  // A table whose every column Lark computes: the mapper says so; the other lists show them.
  const computed = await editorLists(viaToken({ base: locator(BASE), table: locator(computedOnly) }));
  assert.deepEqual(computed.mapper.fields, []);
  assert.match(computed.mapper.notice, /^This table has no columns that can be written: Lark computes all of them/);
  assert.equal(/** @type {any} */ (computed.columns).value.length, 2);
  // Names from Lark are text in the notice, never HTML.
  const named = await editorLists(viaToken({ base: locator(BASE), table: locator(hostile) }));
  assert.equal(named.mapper.notice, "The table's columns that can be written: &#60;b&#62;Key&#60;/b&#62; &#38; &#34;more&#34; (text).");
});

test('the editor reloads each list when what it loads from changes, and the Table list needs no n8n credential', () => {
  const { description } = new Larkbase();
  /** @param {string} name */
  const all = (name) => description.properties.filter((/** @type {any} */ p) => p.name === name);
  const dependsOn = ['credentialSource', 'domain', 'baseUrl', 'base.value', 'table.value'];
  for (const mapper of all('columns')) {
    assert.deepEqual(mapper.typeOptions?.loadOptionsDependsOn, dependsOn);
    // Columns a person did not add are not written (n8n would fill them with false or 0).
    assert.equal(mapper.typeOptions?.resourceMapper?.addAllFields, false);
  }
  /** @type {any[]} */
  const nested = [
    ...all('filters').flatMap((/** @type {any} */ p) => /** @type {any} */ (p).options[0].values),
    ...all('sort').flatMap((/** @type {any} */ p) => /** @type {any} */ (p).options[0].values),
    ...all('options').flatMap((/** @type {any} */ p) => /** @type {any} */ (p).options),
  ].filter((p) => p.typeOptions?.loadOptionsMethod === 'getColumnNames');
  assert.equal(nested.length, 3);
  for (const list of nested) assert.deepEqual(list.typeOptions.loadOptionsDependsOn, dependsOn);
  const [table] = all('table');
  assert.deepEqual(table.typeOptions?.loadOptionsDependsOn, ['base.value']);
  assert.equal(/** @type {any} */ (table).modes[0].typeOptions.skipCredentialsCheckInRLC, true);
  assert.notEqual(table.required, true, 'left empty, the table in the base URL is used');
  assert.deepEqual(description.credentials, [{ name: 'larkbaseApi', required: false, displayOptions: { show: { credentialSource: ['larkbaseApi'] } } }]);
});

test('the credential path without a credential selected stops with what to do', async () => {
  const context = executeContext({ params: { credentialSource: 'larkbaseApi', base: locator(BASE), table: locator('tblX'), resource: 'record', operation: 'search', options: {} } });
  await assert.rejects(run(context), (error) => {
    assert.ok(error instanceof NodeOperationError);
    assert.equal(error.message, 'No Larkbase API credential is selected: select one, or set Authentication to Access Token Field.');
    return true;
  });
});

test("the README's Lark Base example upserts, as written, against the stand-in", async () => {
  const tableId = newTable('readme');
  const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### From Node.js: Lark Base'));
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, 'the README has the example');
  const script = example
    .replace("require('n8n-nodes-larkbase-get-token')", `require(${JSON.stringify(require('node:path').join(__dirname, '..'))})`)
    .replace('bascnYourBaseToken', BASE)
    .replace('tblYourTableId', tableId);
  const { execFile } = require('node:child_process');
  const { stdout, stderr } = await require('node:util').promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, LARK_APP_ID: APP.appId, LARK_APP_SECRET: APP.appSecret, LARK_DOMAIN: lark.url },
  });
  record('readme larkbase example', { stdout, stderr });
  assert.equal(stderr, '');
  assert.match(stdout, /^0 created rec\w+\n1 created rec\w+\n$/);
  assert.deepEqual(lark.base.records(BASE, tableId).map((r) => r.fields.Due), [Date.UTC(2026, 10, 26, 1, 30), 1795651200000]);
});

test('hostile params and answers give typed errors, never a crash, and name no secret', async () => {
  /** @type {any} */
  const lib = require('../dist/js/index');
  const tableId = newTable('hostile');
  const common = { base: BASE, table: tableId, accessToken: token, domain: lark.url };
  /** @param {Promise<unknown>} call */
  const errorOf = (call) => call.then(() => assert.fail('should reject'), (e) => record('hostile larkbase', e));
  const getter = Object.defineProperty({ ...common }, 'rows', { enumerable: true, get: () => { throw new Error(SECRETS.main); } });
  let e = await errorOf(lib.createRecords(getter));
  assert.deepEqual([e.name, e.code, e.field], ['LarkbaseError', 'INVALID_PARAMS', 'params']);
  assert.ok(!String(e.message).includes(SECRETS.main));
  e = await errorOf(lib.createRecords({ ...common, rows: 'not a list' }));
  assert.deepEqual([e.code, e.field], ['INVALID_PARAMS', 'rows']);
  e = await errorOf(lib.searchRecords({ ...common, limit: -1 }));
  assert.equal(e.field, 'limit');
  e = await errorOf(lib.searchRecords({ ...common, fetch: 42 }));
  assert.equal(e.field, 'fetch');
  // Answers a server should never give: not JSON, a deep nest, a huge page, a body that lies.
  const answers = [
    () => new Response('<html>nope</html>', { status: 200 }),
    () => new Response(`{"code":0,"data":{"items":${'['.repeat(5000)}${']'.repeat(5000)},"has_more":false}}`, { status: 200 }),
    () => new Response(JSON.stringify({ code: 0, data: { items: [{ record_id: 'recA', fields: 'oops' }], has_more: false } }), { status: 200 }),
    () => new Response(JSON.stringify({ code: 1254001, msg: `echo: Bearer ${token}` }), { status: 400 }),
    () => ({ status: 'x' }),
  ];
  for (const answer of answers) {
    const outcome = await lib.searchRecords({ ...common, maxAttempts: 1, fetch: async () => answer() }).then(
      (/** @type {unknown} */ value) => ({ value }),
      (/** @type {any} */ error) => ({ error: record('hostile answer', error) }),
    );
    if ('error' in outcome) {
      assert.equal(outcome.error.name, 'LarkbaseError');
      assert.ok(!JSON.stringify({ ...outcome.error, message: outcome.error.message }).includes(token), 'no token in the error');
    } else {
      assert.ok(Array.isArray(/** @type {any} */ (outcome.value).records));
    }
  }
  // The instance still serves.
  assert.ok(Array.isArray((await lib.searchRecords(common)).records));
});
