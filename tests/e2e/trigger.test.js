// @ts-check
'use strict';
// The Larkbase Trigger in real n8n, both lines, as a server with activated workflows, against the
// local Lark stand-in, which pushes events to the workflows' production URLs as Lark does (plain,
// or encrypted and signed with node:crypto from Lark's documented algorithm): the challenge through
// n8n's real webhook route, record events with column names and plain values, a duplicate that
// runs once, refused deliveries and hostile bodies that start nothing while another workflow keeps
// answering, the subscription on activation (twice), a store app's token from a pushed app_ticket,
// and polling: 1,000 records created and 300 changed between polls, each handed out once. What an
// execution started with is posted by the workflow to the stand-in's collector.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startStandIn, SAMPLE_FIELDS } = require('../lark-stand-in');
const ev = require('../lark-events-stand-in');
const { ARTIFACTS, EVENT_SECRETS, record } = require('../helpers');
const h = require('./n8n-harness');
const wf = require('./workflows');
const { updateRecords } = require('../../dist/js/index');

const APP = { appId: 'cli_e2e_trigger_0001', appSecret: EVENT_SECRETS.e2eTrigger };
const PLAIN_APP = { appId: 'cli_e2e_trigger_0002', appSecret: `${EVENT_SECRETS.e2eTrigger}-plain` };
const STORE = { appId: 'cli_e2e_trigger_st01', appSecret: `${EVENT_SECRETS.e2eTrigger}-store`, tenant: 'tenant-e2e-store' };
const { e2eVerificationToken: TOKEN, e2eEncryptKey: KEY } = EVENT_SECRETS;
const BASE = 'bascnE2ETrigger00001';
const TABLE = 'tblE2ETrigEvents';
const POLLED = 'tblE2ETrigPolled';
const CREATED = 1000;
const CHANGED = 300;

/** Waits until `check` returns a truthy value, or fails after `ms`. */
async function until(/** @type {() => any} */ check, /** @type {string} */ what, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const { line, version } of h.N8N_LINES) {
  describe(`Larkbase Trigger in n8n ${line} (${version})`, () => {
    /** @type {Awaited<ReturnType<typeof startStandIn>>} */
    let lark;
    /** @type {h.N8nInstall} */
    let n8n;
    /** @type {string} */
    let userFolder;
    /** @type {Awaited<ReturnType<typeof h.startN8nServer>>} */
    let server;
    /** @type {string} */
    let cookie;
    const logFile = path.join(ARTIFACTS, `n8n-${version}-trigger.log`);
    const creds = {
      main: { id: 'trigCredMain0001', name: 'Larkbase API (events)' },
      plain: { id: 'trigCredPlain001', name: 'Larkbase API (plain events)' },
      store: { id: 'trigCredStore001', name: 'Larkbase API (store app)' },
    };
    const ids = { events: 'wfTrigEvents0001', plain: 'wfTrigPlain00001', store: 'wfTrigStore00001', storeToken: 'wfTrigStoreTok01', poll: 'wfTrigPoll000001', other: 'wfTrigOther00001' };
    const hooks = { events: wf.fixedWebhookId(`${version}-events`), plain: wf.fixedWebhookId(`${version}-plain`), store: wf.fixedWebhookId(`${version}-store`) };
    const url = (/** @type {string} */ webhookId) => `${server.url}/webhook/${webhookId}/lark`;

    /** n8n's REST API, logged in as the owner. */
    /**
     * @param {string} method
     * @param {string} route
     * @param {unknown} [body]
     */
    async function rest(method, route, body) {
      const response = await fetch(`${server.url}/rest${route}`, {
        method,
        headers: { Cookie: cookie, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = /** @type {any} */ (await response.json().catch(() => ({})));
      return { status: response.status, json };
    }

    /** How many executions a workflow has, running or finished (`count` leaves out running ones). */
    async function executions(/** @type {string} */ workflowId) {
      // n8n 2.x takes at most 100 a page; these workflows have a few.
      const { status, json } = await rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}&limit=100`);
      if (!Array.isArray(json.data?.results)) throw new Error(`GET /rest/executions answered ${status}: ${JSON.stringify(json).slice(0, 300)}`);
      return json.data.results.length;
    }

    before(async () => {
      lark = await startStandIn({
        apps: { [APP.appId]: APP.appSecret, [PLAIN_APP.appId]: PLAIN_APP.appSecret },
        storeApps: { [STORE.appId]: { secret: STORE.appSecret, tenants: [STORE.tenant] } },
        rateLimitPerSecond: 10_000,
      });
      lark.base.createBase({ appToken: BASE });
      lark.base.createTable(BASE, { tableId: TABLE, name: 'Orders', fields: SAMPLE_FIELDS });
      lark.base.createTable(BASE, {
        tableId: POLLED,
        name: 'Polled',
        fields: [{ name: 'Key', type: 1, isPrimary: true }, { name: 'Status', type: 3 }, { name: 'Created', type: 1001 }, { name: 'Modified', type: 1002 }],
      });
      lark.base.addRecords(BASE, POLLED, Array.from({ length: CHANGED }, (_, n) => ({ Key: `before-${n}` })));
      n8n = h.installN8n(version);
      userFolder = h.freshUserFolder(n8n);
      const baseUrl = lark.url;
      await h.importInto(n8n, userFolder, 'credentials', [
        wf.larkbaseCredential(creds.main.id, creds.main.name, { ...APP, baseUrl, verificationToken: TOKEN, encryptKey: KEY }),
        wf.larkbaseCredential(creds.plain.id, creds.plain.name, { ...PLAIN_APP, baseUrl, verificationToken: TOKEN }),
        wf.larkbaseCredential(creds.store.id, creds.store.name, {
          ...STORE, baseUrl, verificationToken: TOKEN, encryptKey: KEY, appType: 'store', tenantKey: STORE.tenant,
        }),
      ]);
      const rl = (/** @type {string} */ value) => ({ __rl: true, mode: 'id', value });
      const workflows = [
        wf.chain(ids.events, 'Trigger: record events', [
          wf.larkbaseTrigger({ webhookId: hooks.events, credential: creds.main, parameters: {
            mode: 'events', event: 'records', base: rl(BASE), table: rl(TABLE), actions: ['added', 'edited', 'deleted'],
            options: { before: true, fullRecord: true },
          } }),
          wf.collect(baseUrl, `events-${version}`),
        ]),
        wf.chain(ids.plain, 'Trigger: any event, plain', [
          wf.larkbaseTrigger({ webhookId: hooks.plain, credential: creds.plain, parameters: { mode: 'events', event: 'any' } }),
          wf.collect(baseUrl, `plain-${version}`),
        ]),
        wf.chain(ids.store, 'Trigger: store app events', [
          wf.larkbaseTrigger({ webhookId: hooks.store, credential: creds.store, parameters: { mode: 'events', event: 'records' } }),
          wf.collect(baseUrl, `store-${version}`),
        ]),
        wf.chain(ids.storeToken, 'Store app token', [
          wf.webhookTrigger(`store-token-${version}`),
          wf.larkbaseGetToken({ baseUrl, credential: creds.store }),
        ]),
        wf.chain(ids.poll, 'Trigger: polling', [
          wf.larkbaseTrigger({ webhookId: wf.fixedWebhookId(`${version}-poll`), credential: creds.main, parameters: {
            mode: 'poll', base: rl(BASE), table: rl(POLLED), column: 'Modified', pollTimes: { item: [{ mode: 'everyMinute' }] },
          } }),
          wf.collect(baseUrl, `poll-${version}`),
        ]),
        wf.chain(ids.other, 'Another webhook', [wf.webhookTrigger(`other-${version}`)]),
      ];
      for (const workflow of workflows) await h.importInto(n8n, userFolder, 'workflow', workflow);
      // Activated before the server starts: the CLI writes the database only.
      for (const id of [ids.events, ids.plain, ids.store, ids.storeToken, ids.poll, ids.other]) {
        const args = line === '1.x' ? ['update:workflow', `--id=${id}`, '--active=true'] : ['publish:workflow', `--id=${id}`];
        const result = await h.n8nCli(n8n, userFolder, args);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      }
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      server = await h.startN8nServer(n8n, userFolder, { port: await h.freePort(), logFile });
      lark.events.setRequestUrl(APP.appId, { url: url(hooks.events), token: TOKEN, encryptKey: KEY });
      lark.events.setRequestUrl(PLAIN_APP.appId, { url: url(hooks.plain), token: TOKEN });
      lark.events.setRequestUrl(STORE.appId, { url: url(hooks.store), token: TOKEN, encryptKey: KEY });
      // The workflows are active once the challenge is answered. Until n8n has started, it answers
      // every route with 200 and "n8n is starting up", so the answer itself is checked.
      await until(async () => (await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'ready'))).json?.challenge === 'ready', 'activation', 120_000);
      // The owner is set up only now, for the same reason: a cookie from a starting n8n is refused.
      cookie = await h.setUpOwner(server.url, { email: 'trigger@example.com', password: 'Trigger-e2e-password-1' });
      await until(async () => (await rest('GET', '/workflows')).status === 200, 'the REST API');
    });

    after(async () => {
      await server?.stop();
      await lark?.close();
    });

    test('activation subscribed the app to the base; activating again subscribes again, harmlessly', async () => {
      assert.ok(lark.events.subscriptions.some((s) => s.fileToken === BASE), 'subscribed at activation');
      const before = lark.events.subscriptions.length;
      const { json } = await rest('GET', `/workflows/${ids.events}`);
      const versionId = json.data?.versionId;
      assert.equal((await rest('POST', `/workflows/${ids.events}/deactivate`, {})).status, 200);
      const activated = await rest('POST', `/workflows/${ids.events}/activate`, { versionId });
      assert.equal(activated.status, 200, JSON.stringify(activated.json));
      await until(() => lark.events.subscriptions.length === before + 1, 'the second subscription');
      const again = await until(async () => {
        const answer = await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'after-reactivation'));
        return answer.status === 200 && answer;
      }, 'the reactivated webhook');
      assert.deepEqual(again.json, { challenge: 'after-reactivation' });
    });

    test("the challenge through n8n's webhook route, encrypted and plain, starts nothing", async () => {
      const sealed = await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'sealed-e2e'));
      assert.deepEqual([sealed.status, sealed.json], [200, { challenge: 'sealed-e2e' }]);
      const plain = await lark.events.push(PLAIN_APP.appId, ({ token }) => ev.challenge(token, 'plain-e2e'));
      assert.deepEqual([plain.status, plain.json], [200, { challenge: 'plain-e2e' }]);
      assert.equal(await executions(ids.events), 0);
      assert.equal(await executions(ids.plain), 0);
    });

    test('a record event comes out with column names and plain values; its duplicate runs once', async () => {
      const [recordId] = lark.base.addRecords(BASE, TABLE, [{ Key: 'K-E2E-1', Name: 'Nguyễn Văn A', Amount: 12.5, Status: 'Done' }]);
      const eventId = ev.newEventId();
      const make = (/** @type {{ token: string, appId: string }} */ app) =>
        ev.schema2('drive.file.bitable_record_changed_v1', lark.events.recordChanged({
          appToken: BASE,
          tableId: TABLE,
          changes: [
            { recordId, action: 'record_added', after: { Key: 'K-E2E-1', Name: 'Nguyễn Văn A' } },
            { recordId: 'recGone000001', action: 'record_deleted', before: { Key: 'K-OLD', Amount: 3 } },
          ],
        }), { ...app, eventId });
      assert.equal((await lark.events.push(APP.appId, make)).status, 200);
      const items = await until(() => lark.collected(`events-${version}`).length >= 2 && lark.collected(`events-${version}`), 'the items');
      record(`n8n ${version} trigger items`, items);
      const added = items.find((/** @type {any} */ i) => i.action === 'added');
      // Fetch Full Record: every cell of the record, plain.
      assert.equal(added.fields.Key, 'K-E2E-1');
      assert.equal(added.fields.Name, 'Nguyễn Văn A');
      assert.equal(added.fields.Amount, 12.5);
      assert.equal(added.fields.Status, 'Done');
      assert.equal(added.base, BASE);
      assert.equal(added.event_id, eventId);
      const deleted = items.find((/** @type {any} */ i) => i.action === 'deleted');
      assert.deepEqual(deleted.fields, { Key: 'K-OLD', Amount: 3 });
      await until(async () => (await executions(ids.events)) === 1, 'one execution');
      assert.equal((await lark.events.push(APP.appId, make)).status, 200, 'the retry is answered');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(lark.collected(`events-${version}`).length, 2, 'and runs nothing');
      assert.equal(await executions(ids.events), 1);
      // Any Event, plain, with the Verification Token only: one item, without the token.
      const plain = await lark.events.push(PLAIN_APP.appId, ({ token, appId }) => ev.schema2('im.message.receive_v1', { message: { text: 'xin chào' } }, { token, appId }));
      assert.equal(plain.status, 200);
      const [anyEvent] = await until(() => lark.collected(`plain-${version}`).length && lark.collected(`plain-${version}`), 'the plain event');
      assert.equal(anyEvent.event_type, 'im.message.receive_v1');
      assert.equal(anyEvent.event.message.text, 'xin chào');
      assert.ok(!JSON.stringify(anyEvent).includes(TOKEN));
    });

    test('a bad signature, a bad token or a stale time is answered 401 and starts nothing', async () => {
      const before = await executions(ids.events);
      const event = (/** @type {string} */ token) =>
        ev.schema2('drive.file.bitable_record_changed_v1', lark.events.recordChanged({ appToken: BASE, tableId: TABLE, changes: [{ recordId: 'recNope', action: 'record_deleted', before: { Key: 'x' } }] }), { token, appId: APP.appId });
      const badSignature = ev.seal(event(TOKEN), { encryptKey: KEY });
      badSignature.headers['X-Lark-Signature'] = ev.sign(badSignature.headers['X-Lark-Request-Timestamp'], 'forged-nonce', KEY, badSignature.body);
      const answers = [
        await ev.post(url(hooks.events), badSignature),
        await ev.post(url(hooks.events), ev.seal(event('wrong-verification-token'), { encryptKey: KEY })),
        await ev.post(url(hooks.events), ev.seal(event(TOKEN), { encryptKey: KEY, at: -3600 })),
      ];
      for (const answer of answers) assert.deepEqual([answer.status, answer.text], [401, answers[0].text]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(await executions(ids.events), before);
    });

    test('hostile bodies are answered without an execution, and another workflow keeps answering', async () => {
      const before = await executions(ids.events);
      const other = Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${server.url}/webhook/other-${version}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"n":1}' }).then((r) => r.status),
        ),
      );
      const target = url(hooks.events);
      const garbage = Buffer.from('{"encrypt":"AAAA"}');
      const signed = ev.seal({}, { encryptKey: KEY });
      signed.headers['X-Lark-Signature'] = ev.sign(signed.headers['X-Lark-Request-Timestamp'], signed.headers['X-Lark-Request-Nonce'], KEY, garbage);
      const answers = {
        huge: (await ev.post(target, ev.seal({ pad: 'x'.repeat(6 << 20) }, { encryptKey: KEY }))).status,
        deep: (await ev.post(target, { body: Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`), headers: { 'Content-Type': 'application/json' } })).status,
        notJson: (await ev.post(target, { body: Buffer.from('<xml>not json</xml>'), headers: { 'Content-Type': 'application/json' } })).status,
        signedGarbage: (await ev.post(target, { body: garbage, headers: signed.headers })).status,
      };
      record(`n8n ${version} hostile answers`, answers);
      assert.equal(answers.huge, 413);
      // n8n's own body parser may refuse what is not JSON first (422); either way nothing starts.
      assert.ok([401, 422].includes(answers.deep), `deep: ${answers.deep}`);
      assert.ok([401, 422].includes(answers.notJson), `not JSON: ${answers.notJson}`);
      assert.equal(answers.signedGarbage, 400);
      assert.deepEqual(await other, Array(20).fill(200));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(await executions(ids.events), before);
      const challenge = await lark.events.push(APP.appId, ({ token }) => ev.challenge(token, 'after-hostile'));
      assert.deepEqual(challenge.json, { challenge: 'after-hostile' });
    });

    test('a store app: no ticket typed anywhere; the token comes from the app_ticket Lark pushes', async () => {
      const call = () =>
        fetch(`${server.url}/webhook/store-token-${version}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then(async (r) => ({
          status: r.status,
          body: /** @type {any} */ (await r.json().catch(() => ({}))),
        }));
      const first = await call();
      record(`n8n ${version} store token before the ticket`, first);
      assert.notEqual(first.status, 200);
      assert.equal(lark.requests.filter((r) => r.path.endsWith('/app_ticket/resend')).length, 1, 'Lark was asked to resend it');
      // Lark pushed it to the store app's Request URL; the next call has a tenant token.
      const second = await until(async () => {
        const answer = await call();
        return answer.status === 200 && answer;
      }, 'a store-app token');
      assert.match(String(second.body.access_token), /^t-/);
      assert.equal(second.body.token_type, 'tenant_access_token');
      assert.equal(await executions(ids.store), 0, 'the app_ticket started nothing');
    });

    test(`polling: ${CREATED} created and ${CHANGED} changed between polls, ties included, each triggers exactly once`, async () => {
      const searches = () => lark.requests.filter((r) => r.path.endsWith(`/tables/${POLLED}/records/search`)).length;
      await until(() => searches() > 0, 'the first poll', 90_000);
      // Created in batches of 250 (many sharing a millisecond), and the records that were there
      // before, changed.
      for (let b = 0; b < CREATED / 250; b++) {
        lark.base.addRecords(BASE, POLLED, Array.from({ length: 250 }, (_, n) => ({ Key: `new-${b * 250 + n}` })));
      }
      const existing = lark.base.records(BASE, POLLED).filter((r) => String(r.fields.Key).startsWith('before-'));
      await updateRecords({
        base: BASE,
        table: POLLED,
        rows: existing.map((r) => ({ recordId: r.record_id, fields: { Status: 'Changed' } })),
        credential: { appId: APP.appId, appSecret: APP.appSecret, domain: lark.url },
      });
      const tag = `poll-${version}`;
      await until(() => lark.collected(tag).length >= CREATED + CHANGED, `${CREATED + CHANGED} polled records`, 150_000);
      // One more poll: nothing is handed out twice.
      const seenSearches = searches();
      await until(() => searches() > seenSearches, 'the next poll', 90_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const got = lark.collected(tag);
      const byId = new Map();
      for (const item of got) byId.set(item.record_id, (byId.get(item.record_id) ?? 0) + 1);
      assert.equal(got.length, CREATED + CHANGED);
      assert.equal(byId.size, CREATED + CHANGED);
      assert.ok(got.every((/** @type {any} */ i) => typeof i.fields.Key === 'string'), 'text as plain strings');
      assert.equal(got.filter((/** @type {any} */ i) => i.fields.Status === 'Changed').length, CHANGED);
    });

    test("no App Secret, Verification Token or Encrypt Key in n8n's log, database or the items", () => {
      const secrets = [APP.appSecret, PLAIN_APP.appSecret, STORE.appSecret, TOKEN, KEY];
      const texts = {
        log: fs.readFileSync(logFile, 'utf8'),
        database: fs.readFileSync(path.join(userFolder, '.n8n', 'database.sqlite')).toString('latin1'),
        items: JSON.stringify([lark.collected(`events-${version}`), lark.collected(`plain-${version}`), lark.collected(`poll-${version}`)]),
      };
      for (const [where, text] of Object.entries(texts)) {
        assert.ok(text.length > 0, where);
        for (const secret of secrets) assert.ok(!text.includes(secret), `a secret is in the ${where}`);
      }
    });
  });
}
