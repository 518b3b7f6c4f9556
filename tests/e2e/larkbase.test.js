// @ts-check
'use strict';
// The Larkbase node in real n8n, both lines, headless, against the Lark Base part of the local
// stand-in: Larkbase Get Token → Larkbase upserts 2,000 items in several batches and then finds
// all 2,000 across pages, every item paired; the credential path; Continue On Fail with one bad
// item among many. Workflows are imported and run with `n8n execute`, as in n8n.test.js.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startStandIn, SAMPLE_FIELDS, sampleRow } = require('../lark-stand-in');
const { ARTIFACTS, E2E_SECRETS, record } = require('../helpers');
const h = require('./n8n-harness');
const wf = require('./workflows');

const APP = { appId: 'cli_e2e_larkbase_0001', appSecret: E2E_SECRETS.larkbase };
const BASE = 'bascnE2ELarkbase0001';
const COUNT = 2000;
/** The token from Larkbase Get Token, for nodes that do not follow it directly. */
const TOKEN_FROM_NODE = "={{ $('Larkbase Get Token').item.json.access_token }}";

for (const { line, version } of h.N8N_LINES) {
  describe(`Larkbase node in n8n ${line} (${version})`, () => {
    /** @type {Awaited<ReturnType<typeof startStandIn>>} */
    let lark;
    /** @type {h.N8nInstall} */
    let n8n;
    /** @type {string} */
    let userFolder;
    const printed = /** @type {string[]} */ ([]);
    const credential = { id: 'larkbaseCredE2E01', name: 'Larkbase API (stand-in)' };
    const tables = { bulk: 'tblE2EBulk000001', credential: 'tblE2ECredential1', continue: 'tblE2EContinue01' };

    /** @param {string} id */
    async function execute(id) {
      const result = await h.executeWorkflow(n8n, userFolder, id);
      printed.push(result.logLines.join('\n'), result.stderr, JSON.stringify(result.run?.data?.resultData?.error ?? null));
      return result;
    }

    before(async () => {
      lark = await startStandIn({ apps: { [APP.appId]: APP.appSecret }, rateLimitPerSecond: 1000 });
      lark.base.createBase({ appToken: BASE });
      for (const tableId of Object.values(tables)) lark.base.createTable(BASE, { tableId, name: tableId, fields: SAMPLE_FIELDS });
      n8n = h.installN8n(version);
      userFolder = h.freshUserFolder(n8n);
      const baseUrl = lark.url;
      await h.importInto(n8n, userFolder, 'credentials', [wf.larkbaseCredential(credential.id, credential.name, { ...APP, baseUrl })]);
      const token = wf.larkbaseGetToken({ baseUrl, ...APP });
      const workflows = [
        wf.chain('wfLbUpsert000001', 'Get Token, 2,000 rows, Larkbase Upsert', [
          wf.manualTrigger(),
          token,
          wf.makeRows(baseUrl, { count: COUNT }),
          wf.larkbase({ baseUrl, accessToken: TOKEN_FROM_NODE, base: BASE, table: tables.bulk, operation: 'upsert', keys: ['Key'] }),
        ]),
        wf.chain('wfLbSearch000001', 'Get Token, Larkbase Search all', [
          wf.manualTrigger(),
          token,
          wf.larkbase({ baseUrl, base: BASE, table: tables.bulk, operation: 'search', parameters: { returnAll: true }, position: [440, 0] }),
        ]),
        wf.chain('wfLbCredential01', 'Larkbase Upsert with the credential', [
          wf.manualTrigger(),
          wf.makeRows(baseUrl, { count: 30, position: [220, 0] }),
          wf.larkbase({ baseUrl, credential, base: BASE, table: tables.credential, operation: 'upsert', keys: ['Key'], position: [440, 0] }),
        ]),
        wf.chain('wfLbContinue0001', 'One bad item among many, Continue On Fail', [
          wf.manualTrigger(),
          token,
          wf.makeRows(baseUrl, { count: 600, bad: 337 }),
          wf.larkbase({ baseUrl, accessToken: TOKEN_FROM_NODE, base: BASE, table: tables.continue, operation: 'create', continueOnFail: true }),
        ]),
        wf.chain('wfLbStop00000001', 'One bad item, no Continue On Fail', [
          wf.manualTrigger(),
          token,
          wf.makeRows(baseUrl, { count: 40, from: 10_000, bad: 7 }),
          wf.larkbase({ baseUrl, accessToken: TOKEN_FROM_NODE, base: BASE, table: tables.continue, operation: 'create' }),
        ]),
      ];
      for (const workflow of workflows) await h.importInto(n8n, userFolder, 'workflow', workflow);
    });

    after(async () => {
      await lark?.close();
      if (userFolder) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        fs.writeFileSync(path.join(ARTIFACTS, `n8n-${version}-larkbase-printed.log`), printed.join('\n'));
      }
    });

    test('Get Token → Larkbase Upsert of 2,000 items: 4 batches, every item paired; again: all updated', async () => {
      const seenBefore = lark.requests.length;
      const { code, run } = await execute('wfLbUpsert000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase');
      assert.equal(items.length, COUNT);
      items.forEach((item, n) => {
        assert.equal(item.pairedItem?.item ?? item.pairedItem?.[0]?.item, n);
        assert.equal(item.json.action, 'created');
        assert.equal(item.json.fields.Key, sampleRow(n).Key);
      });
      const creates = lark.requests.slice(seenBefore).filter((r) => r.path.endsWith('/batch_create'));
      assert.deepEqual(creates.map((r) => r.body.records.length), [500, 500, 500, 500]);
      assert.equal(lark.base.records(BASE, tables.bulk).length, COUNT);
      assert.equal(lark.base.records(BASE, tables.bulk)[1999].fields.Due, Date.parse(sampleRow(1999).Due));

      const again = await execute('wfLbUpsert000001');
      assert.equal(again.code, 0, JSON.stringify(again.run?.data?.resultData?.error));
      const updated = h.nodeItems(again.run, 'Larkbase');
      assert.equal(updated.filter((i) => i.json.action === 'updated').length, COUNT);
      assert.equal(lark.base.records(BASE, tables.bulk).length, COUNT, 'nothing created twice');
      assert.equal(lark.base.stats.writeConflicts, 0);
      record(`n8n ${version} larkbase upsert`, { items: items.length, batches: creates.length });
    });

    test('Get Token → Larkbase Search with the default Access Token: all 2,000 records across pages', async () => {
      const seenBefore = lark.requests.length;
      const { code, run } = await execute('wfLbSearch000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase');
      assert.equal(items.length, COUNT);
      assert.deepEqual(new Set(items.map((i) => i.json.fields.Key)).size, COUNT);
      assert.ok(items.every((i) => (i.pairedItem?.item ?? i.pairedItem?.[0]?.item) === 0), 'each record paired to the token item');
      assert.equal(typeof items[0].json.fields.Key, 'string', 'text as a plain string');
      const searches = lark.requests.slice(seenBefore).filter((r) => r.path.endsWith('/records/search'));
      assert.equal(searches.length, 4);
    });

    test('the credential path: a tenant token from the cache, 30 rows upserted and paired', async () => {
      const { code, run } = await execute('wfLbCredential01');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase');
      assert.equal(items.length, 30);
      items.forEach((item, n) => assert.equal(item.pairedItem?.item ?? item.pairedItem?.[0]?.item, n));
      assert.equal(lark.base.records(BASE, tables.credential).length, 30);
    });

    test('Continue On Fail: the one bad item among 600 is an error item naming the column; 599 are created', async () => {
      const { code, run } = await execute('wfLbContinue0001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase');
      assert.equal(items.length, 600);
      items.forEach((item, n) => assert.equal(item.pairedItem?.item ?? item.pairedItem?.[0]?.item, n));
      const error = items[337].json.error;
      assert.equal(error.code, 'INVALID_VALUE');
      assert.equal(error.column, 'Due');
      assert.match(error.message, /column 'Due' \(date\)/);
      assert.equal(items.filter((i) => i.json.record_id).length, 599);
      assert.equal(lark.base.records(BASE, tables.continue).length, 599);
    });

    test('without Continue On Fail, the bad item fails the execution and nothing of it is written', async () => {
      const before = lark.base.records(BASE, tables.continue).length;
      const { code, run } = await execute('wfLbStop00000001');
      assert.notEqual(code, 0);
      const error = run?.data?.resultData?.error;
      assert.match(error?.message ?? '', /column 'Due' \(date\) cannot take a string/);
      assert.equal(lark.base.records(BASE, tables.continue).length, before);
    });

    test('no App Secret or access token in what n8n printed', () => {
      const everything = printed.join('\n');
      assert.ok(everything.length > 0);
      assert.ok(!everything.includes(APP.appSecret), `the secret was printed by n8n ${version}`);
      assert.ok(!/t-[0-9a-f]{32}/.test(everything), 'a token was printed in a log or an error');
    });
  });
}
