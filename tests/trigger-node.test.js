// @ts-check
'use strict';
// The Larkbase Trigger as shipped in dist/, driven through a stand-in for n8n's webhook, hook and
// poll contexts, against the local Lark stand-in. Each trigger is served on 127.0.0.1 the way n8n
// serves a webhook node (the raw body kept, the node's webhook() answering), so that the stand-in
// delivers events to it as Lark does. Real n8n runs it in tests/e2e/trigger.test.js.

const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { NodeApiError } = require('n8n-workflow');
const pkg = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8'));
const { startStandIn, SAMPLE_FIELDS } = require('./lark-stand-in');
const ev = require('./lark-events-stand-in');
const { EVENT_SECRETS, record } = require('./helpers');

const nodeFile = pkg.n8n.nodes.find((/** @type {string} */ f) => f.endsWith('LarkbaseTrigger.node.js'));
const { LarkbaseTrigger } = require(`../${nodeFile}`);
const codex = require(`../${nodeFile.replace(/\.js$/, '.json')}`);
const { getToken, clearTokenCache, rememberAppTicket } = require('../dist/js/index');

const APP = { appId: 'cli_trigger_node_0001', appSecret: EVENT_SECRETS.trigger };
const STORE = { appId: 'cli_trigger_store_001', appSecret: `${EVENT_SECRETS.trigger}-store`, tenant: 'tenant-store-1' };
const { verificationToken: TOKEN, encryptKey: KEY } = EVENT_SECRETS;
const BASE = 'bascnTriggerNode0001';

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
/** @type {string} */
let tableId;

before(async () => {
  lark = await startStandIn({
    apps: { [APP.appId]: APP.appSecret },
    storeApps: { [STORE.appId]: { secret: STORE.appSecret, tenants: [STORE.tenant] } },
    rateLimitPerSecond: 10_000,
  });
  lark.base.createBase({ appToken: BASE });
  tableId = lark.base.createTable(BASE, { name: 'Orders', fields: SAMPLE_FIELDS });
});
after(() => lark.close());

/** @param {string} value @param {string} [mode] */
const locator = (value, mode = 'id') => ({ __rl: true, mode, value });

/** n8n's httpRequest helper as the nodes use it (see tests/larkbase-node.test.js). */
async function httpRequest(/** @type {import('n8n-workflow').IHttpRequestOptions} */ options) {
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
 * What every context of the node offers: parameters (resource locators unwrapped on request), the
 * credential, the node's static data and n8n's request helper.
 *
 * @param {{ params: Record<string, unknown>, credential: Record<string, unknown>, staticData: Record<string, unknown>, mode?: string }} setup
 */
function context({ params, credential, staticData, mode = 'trigger' }) {
  return {
    getNodeParameter: (/** @type {string} */ name, /** @type {unknown} */ fallback, /** @type {{ extractValue?: boolean }} */ options) => {
      const value = params[name] ?? fallback;
      if (options?.extractValue && value && typeof value === 'object' && 'value' in value) return /** @type {any} */ (value).value;
      return value;
    },
    getCredentials: async () => credential,
    getWorkflowStaticData: () => staticData,
    getWorkflow: () => ({ id: 'wfTriggerNode01' }),
    getNode: () => ({ id: 't1', name: 'Larkbase Trigger', type: 'larkbaseTrigger', typeVersion: 1, position: [0, 0], parameters: {} }),
    getMode: () => mode,
    helpers: { httpRequest },
  };
}

const credentialFor = (/** @type {{ appId: string, appSecret: string }} */ app, extra = {}) => ({
  appId: app.appId,
  appSecret: app.appSecret,
  domain: 'custom',
  baseUrl: lark.url,
  verificationToken: TOKEN,
  encryptKey: KEY,
  ...extra,
});

/**
 * The trigger served as n8n serves a webhook node: the raw body kept, webhook() answering and its
 * workflowData collected as the executions it would start.
 *
 * @param {{ params: Record<string, unknown>, credential: Record<string, unknown> }} setup
 */
async function serveTrigger({ params, credential }) {
  const node = new LarkbaseTrigger();
  /** @type {Record<string, any>} */
  const staticData = {};
  /** @type {Array<Array<{ json: any }>>} */
  const executions = [];
  /** @type {unknown[]} */
  const thrown = [];
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const request = { headers: req.headers, rawBody: Buffer.concat(chunks) };
      const response = {
        get headersSent() {
          return res.headersSent;
        },
        status(/** @type {number} */ code) {
          res.statusCode = code;
          return this;
        },
        json(/** @type {unknown} */ body) {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(body));
        },
      };
      const ctx = { ...context({ params, credential, staticData }), getRequestObject: () => request, getResponseObject: () => response };
      try {
        const out = await node.webhook.call(/** @type {any} */ (ctx));
        if (out.workflowData) executions.push(out.workflowData[0]);
      } catch (error) {
        // n8n answers a throwing webhook with 500 and records a failed execution.
        thrown.push(error);
        if (!res.headersSent) res.writeHead(500).end('{"message":"Workflow could not be started!"}');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/webhook/lark`;
  return { url, executions, thrown, staticData, node, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('one node type, two modes: a webhook only in Lark Events mode, n8n polling in Polling mode', () => {
  const { description } = new LarkbaseTrigger();
  assert.equal(description.name, 'larkbaseTrigger');
  assert.equal(description.polling, true);
  assert.deepEqual(description.inputs, []);
  const [webhook] = description.webhooks ?? [];
  assert.match(String(webhook.httpMethod), /\$parameter\["mode"\] === "events" \? "POST" : ""/);
  assert.equal(webhook.responseMode, 'onReceived');
  assert.equal(codex.node, 'n8n-nodes-larkbase-get-token.larkbaseTrigger');
  const names = description.properties.map((/** @type {any} */ p) => p.name);
  for (const name of ['mode', 'event', 'base', 'table', 'actions', 'column', 'filters', 'options']) assert.ok(names.includes(name), name);
});

describe('Lark Events', () => {
  /** @type {Awaited<ReturnType<typeof serveTrigger>>} */
  let trigger;
  before(async () => {
    trigger = await serveTrigger({
      params: { mode: 'events', event: 'records', base: locator(BASE), table: locator(tableId), actions: ['added', 'edited', 'deleted'], options: { before: true } },
      credential: credentialFor(APP),
    });
    lark.events.setRequestUrl(APP.appId, { url: trigger.url, token: TOKEN, encryptKey: KEY });
  });
  after(() => trigger.close());

  test('the url_verification challenge, plain and encrypted, answered without an execution', async () => {
    const plainTrigger = await serveTrigger({ params: { mode: 'events', event: 'any', options: {} }, credential: credentialFor(APP, { encryptKey: '' }) });
    const plain = await ev.post(plainTrigger.url, ev.seal(ev.challenge(TOKEN, 'plain-challenge-1')));
    assert.deepEqual([plain.status, plain.json], [200, { challenge: 'plain-challenge-1' }]);
    await plainTrigger.close();
    const sealed = await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'sealed-challenge-2'));
    assert.deepEqual([sealed.status, sealed.json], [200, { challenge: 'sealed-challenge-2' }]);
    assert.equal(trigger.executions.length, 0);
  });

  test('record changes: one item per record, column names, plain values; a duplicate runs once', async () => {
    const before = trigger.executions.length;
    const [recordId] = lark.base.addRecords(BASE, tableId, [{ Key: 'K-1', Name: 'Nguyễn Văn A', Amount: 12.5, Status: 'Done' }]);
    const eventId = ev.newEventId();
    const make = (/** @type {{ token: string, appId: string }} */ app) =>
      ev.schema2(
        'drive.file.bitable_record_changed_v1',
        lark.events.recordChanged({
          appToken: BASE,
          tableId,
          changes: [
            { recordId, action: 'record_added', after: { Key: 'K-1', Name: 'Nguyễn Văn A', Amount: 12.5, Status: 'Done' } },
            { recordId: 'recEdited01', action: 'record_edited', before: { Status: 'Todo' }, after: { Status: 'Done', Owner: [{ id: 'ou_x1' }] } },
          ],
        }),
        { ...app, eventId },
      );
    const first = await lark.events.push(APP.appId, make);
    assert.equal(first.status, 200);
    assert.equal(trigger.executions.length, before + 1);
    const items = trigger.executions.at(-1)?.map((i) => i.json) ?? [];
    record('trigger record items', items);
    assert.equal(items.length, 2);
    assert.deepEqual(items[0].fields, { Key: 'K-1', Name: 'Nguyễn Văn A', Amount: 12.5, Status: 'Done' });
    assert.equal(items[0].action, 'added');
    assert.equal(items[0].base, BASE);
    assert.equal(items[0].event_id, eventId);
    assert.deepEqual(items[1].fields, { Status: 'Done', Owner: [{ id: 'ou_x1', name: 'Name of ou_x1', en_name: '' }] });
    assert.deepEqual(items[1].before, { Status: 'Todo' });
    assert.deepEqual(items[1].changed_fields, ['Status', 'Owner']);
    // Lark's retry of the same event: answered 200, nothing started.
    const retry = await lark.events.push(APP.appId, make);
    assert.equal(retry.status, 200);
    assert.equal(trigger.executions.length, before + 1);
    assert.ok(Array.isArray(trigger.staticData.seen) && /** @type {string[]} */ (trigger.staticData.seen).includes(eventId));
    const text = JSON.stringify(trigger.executions);
    assert.ok(!text.includes(TOKEN) && !text.includes(KEY) && !text.includes(APP.appSecret));
  });

  test('a bad signature, a bad token or a stale time: 401, the same answer, nothing started', async () => {
    const before = trigger.executions.length;
    const event = (/** @type {string} */ token) =>
      ev.schema2('drive.file.bitable_record_changed_v1', lark.events.recordChanged({ appToken: BASE, tableId, changes: [{ recordId: 'recX', action: 'record_deleted', before: { Key: 'x' } }] }), { token, appId: APP.appId });
    const badSignature = ev.seal(event(TOKEN), { encryptKey: KEY });
    badSignature.headers['X-Lark-Signature'] = ev.sign(badSignature.headers['X-Lark-Request-Timestamp'], 'another-nonce', KEY, badSignature.body);
    const answers = [
      await ev.post(trigger.url, badSignature),
      await ev.post(trigger.url, ev.seal(event('not-the-token'), { encryptKey: KEY })),
      await ev.post(trigger.url, ev.seal(event(TOKEN), { encryptKey: KEY, at: -600 })),
      await ev.post(trigger.url, ev.seal(event(TOKEN), { encryptKey: 'another-encrypt-key' })),
      await ev.post(trigger.url, ev.seal(event(TOKEN))),
    ];
    for (const answer of answers) assert.deepEqual([answer.status, answer.text], [401, answers[0].text]);
    assert.equal(trigger.executions.length, before);
  });

  test('hostile bodies are answered without an execution, and the trigger goes on serving', async () => {
    const before = trigger.executions.length;
    const huge = ev.seal({ pad: 'x'.repeat(5 << 20) }, { encryptKey: KEY });
    assert.equal((await ev.post(trigger.url, huge)).status, 413);
    const deep = Buffer.from(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    assert.equal((await ev.post(trigger.url, { body: deep, headers: {} })).status, 401);
    assert.equal((await ev.post(trigger.url, { body: Buffer.from('not json'), headers: {} })).status, 401);
    // A valid signature over garbage: authentic, but not an event.
    const garbage = Buffer.from('{"encrypt": 42}');
    const signed = ev.seal({}, { encryptKey: KEY });
    signed.headers['X-Lark-Signature'] = ev.sign(signed.headers['X-Lark-Request-Timestamp'], signed.headers['X-Lark-Request-Nonce'], KEY, garbage);
    assert.equal((await ev.post(trigger.url, { body: garbage, headers: signed.headers })).status, 400);
    assert.equal(trigger.executions.length, before);
    const challenge = await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'still-serving'));
    assert.deepEqual(challenge.json, { challenge: 'still-serving' });
  });

  test('activation subscribes the app to the base (twice is harmless); a refusal says what fixes it', async () => {
    const hook = (/** @type {string} */ base) =>
      /** @type {any} */ ({ ...context({ params: { mode: 'events', event: 'records', base: locator(base) }, credential: credentialFor(APP), staticData: {} }) });
    const node = new LarkbaseTrigger();
    const subscribed = lark.events.subscriptions.length;
    assert.equal(await node.webhookMethods.default.checkExists.call(hook(BASE)), false);
    assert.equal(await node.webhookMethods.default.create.call(hook(BASE)), true);
    assert.equal(await node.webhookMethods.default.create.call(hook(BASE)), true);
    assert.equal(lark.events.subscriptions.length, subscribed + 2);
    assert.ok(lark.events.subscriptions.every((s) => s.fileToken === BASE && /^Bearer t-/.test(s.authorization)));
    const refused = await node.webhookMethods.default.create.call(hook('bascnNotSharedWithApp')).then(
      () => assert.fail('activation passed'),
      (/** @type {any} */ e) => e,
    );
    record('trigger subscribe refused', refused);
    assert.ok(refused instanceof NodeApiError);
    assert.match(refused.message, /Lark refused to subscribe the app to the base: Lark returned code 1063002/);
    assert.match(String(refused.description), /Add document app/);
    // Deactivation leaves the subscription in place.
    assert.equal(await node.webhookMethods.default.delete.call(hook(BASE)), true);
  });
});

test('store apps: no ticket typed anywhere; Lark pushes one after resend, and tokens work', async () => {
  const trigger = await serveTrigger({ params: { mode: 'events', event: 'records', options: {} }, credential: credentialFor(STORE, { appType: 'store', tenantKey: STORE.tenant }) });
  try {
    lark.events.setRequestUrl(STORE.appId, { url: trigger.url, token: TOKEN, encryptKey: KEY });
    clearTokenCache();
    const params = { appId: STORE.appId, appSecret: STORE.appSecret, domain: lark.url, appType: /** @type {const} */ ('store'), tenantKey: STORE.tenant };
    const first = await getToken(params).then(() => assert.fail('a token without a ticket'), (e) => e);
    record('store app ticket pending', first);
    assert.equal(first.code, 'APP_TICKET_PENDING');
    assert.match(first.message, /run again in a minute/);
    assert.equal(lark.requests.filter((r) => r.path.endsWith('/app_ticket/resend')).length, 1);
    // The stand-in pushed the new ticket to the Request URL; the trigger kept it.
    const deadline = Date.now() + 5000;
    while (!trigger.staticData.appTicket && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const kept = /** @type {any} */ (trigger.staticData.appTicket);
    assert.equal(kept?.appId, STORE.appId);
    assert.equal(trigger.executions.length, 0, 'an app_ticket starts nothing');
    const token = await getToken(params);
    assert.match(token.access_token, /^t-/);
    // Another app's ticket, signed with this app's keys, is refused and kept nowhere.
    const foreign = await ev.post(trigger.url, ev.seal(ev.appTicketEvent({ token: TOKEN, appId: APP.appId, appTicket: 'foreign-ticket' }), { encryptKey: KEY }));
    assert.equal(foreign.status, 401);
    assert.deepEqual(trigger.staticData.appTicket, kept);
    clearTokenCache();
    assert.match((await getToken(params)).access_token, /^t-/, 'the kept ticket still serves');
    // A kept ticket Lark refuses (10012) is dropped (Lark is asked for a new one at most once a
    // minute): the next call does not send it again.
    rememberAppTicket({ appId: STORE.appId, appTicket: 'refused-ticket', domain: lark.url });
    clearTokenCache();
    const refused = await getToken(params).then(() => assert.fail('a token from a refused ticket'), (e) => e);
    assert.equal(refused.code, 'APP_TICKET_PENDING');
    assert.match(refused.message, /refused the app_ticket/);
    const sent = lark.requests.filter((r) => r.body?.app_ticket === 'refused-ticket').length;
    assert.equal(sent, 1, 'the refused ticket was sent once');
    const after = await getToken(params).then(() => assert.fail('a token after the refusal'), (e) => e);
    assert.match(after.message, /no app_ticket has arrived/);
    assert.equal(lark.requests.filter((r) => r.body?.app_ticket === 'refused-ticket').length, sent);
    rememberAppTicket({ appId: STORE.appId, appTicket: kept.appTicket, domain: lark.url });
    assert.match((await getToken(params)).access_token, /^t-/);
  } finally {
    await trigger.close();
  }
});

describe('Polling', () => {
  /** @type {string} */
  let table;
  /** @type {Record<string, any>} */
  const staticData = {};
  const node = new LarkbaseTrigger();
  const params = () => ({ mode: 'poll', base: locator(BASE), table: locator(table), column: 'Modified', options: {} });
  const pollOnce = (mode = 'trigger') =>
    node.poll.call(/** @type {any} */ (context({ params: params(), credential: credentialFor(APP), staticData, mode })));

  before(() => {
    table = lark.base.createTable(BASE, {
      name: 'Polled',
      fields: [{ name: 'Key', type: 1, isPrimary: true }, { name: 'Status', type: 3 }, { name: 'Created', type: 1001 }, { name: 'Modified', type: 1002 }],
    });
    lark.base.addRecords(BASE, table, [{ Key: 'before-1' }, { Key: 'before-2' }]);
  });

  test('the column list offers only the columns Lark fills; a plain date column is refused', async () => {
    const columns = await node.methods.loadOptions.getTriggerColumns.call(
      /** @type {any} */ ({ ...context({ params: {}, credential: credentialFor(APP), staticData: {} }), getCurrentNodeParameter: (/** @type {string} */ n) => ({ base: BASE, table })[n] }),
    );
    assert.deepEqual(columns.map((/** @type {any} */ c) => c.value), ['Created', 'Modified']);
  });

  test('1,000 created and 300 changed between polls, ties included: each once; a failed poll moves nothing; Fetch Test Event moves nothing', async () => {
    assert.equal(await pollOnce(), null, 'the first poll starts from now');
    // 1,000 created in a few batches (many share a millisecond), then 300 of them changed.
    const ids = [];
    for (let b = 0; b < 4; b++) ids.push(...lark.base.addRecords(BASE, table, Array.from({ length: 250 }, (_, n) => ({ Key: `K-${b * 250 + n}` }))));
    const seen = new Map();
    // A poll that fails (Lark Base answers 503 to every try): nothing handed out, nothing moved.
    // (One that fails on a later page is in the Rust tests, src/events/tests.rs.)
    for (let n = 0; n < 5; n++) lark.inject('http503');
    const failed = await pollOnce().then(() => undefined, (/** @type {unknown} */ e) => e);
    assert.ok(failed, 'the poll failed');
    lark.clearFaults();
    const firstBatch = await pollOnce();
    for (const { json } of firstBatch?.[0] ?? []) seen.set(json.record_id, (seen.get(json.record_id) ?? 0) + 1);
    assert.equal(seen.size, 1000);
    assert.ok([...seen.values()].every((n) => n === 1));
    // Fetch Test Event: the newest record, position unchanged.
    const manual = await pollOnce('manual');
    assert.equal(manual?.[0].length, 1);
    assert.equal(await pollOnce(), null, 'nothing new');
    // 300 changed; the store's modify time moves on write.
    await new Promise((r) => setTimeout(r, 5));
    const { updateRecords } = require('../dist/js/index');
    const changed = ids.slice(0, 300).map((recordId, n) => ({ recordId, fields: { Status: n % 2 ? 'Done' : 'Todo' } }));
    await updateRecords({ base: BASE, table, rows: changed, credential: { appId: APP.appId, appSecret: APP.appSecret, domain: lark.url } });
    const second = (await pollOnce())?.[0] ?? [];
    assert.equal(second.length, 300);
    assert.equal(new Set(second.map((/** @type {any} */ i) => i.json.record_id)).size, 300);
    assert.ok(second.every((/** @type {any} */ i) => typeof i.json.fields.Key === 'string'), 'text as plain strings');
    assert.equal(await pollOnce(), null, 'each change once');
  });
});
