// @ts-check
'use strict';
// Real n8n, both lines, headless: the package installed as a community package, workflows imported
// and run with `n8n execute`, against the local Lark stand-in.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startStandIn, DEMO_RECORDS } = require('../lark-stand-in');
const { ARTIFACTS, E2E_SECRETS, record } = require('../helpers');
const h = require('./n8n-harness');
const wf = require('./workflows');

const FIELDS_APP = { appId: 'cli_e2e_fields_000001', appSecret: E2E_SECRETS.fields };
const CREDENTIAL_APP = { appId: 'cli_e2e_credential_01', appSecret: E2E_SECRETS.credential };
const STORE_APP = { appId: 'cli_e2e_store_app_001', appSecret: E2E_SECRETS.store, tenantKey: 'tenant-e2e-hue' };
const BULK_COUNT = 100;
const bulkAppId = (/** @type {number} */ n) => `cli_e2e_bulk_${String(n).padStart(3, '0')}`;

for (const { line, version } of h.N8N_LINES) {
  describe(`n8n ${line} (${version})`, () => {
    /** @type {Awaited<ReturnType<typeof startStandIn>>} */
    let lark;
    /** @type {h.N8nInstall} */
    let n8n;
    /** @type {string} */
    let userFolder;
    /** Everything n8n printed, for the secret checks at the end. */
    const printed = /** @type {string[]} */ ([]);
    const credential = { id: 'larkbaseCred0001', name: 'Larkbase API (stand-in)' };

    /**
     * Runs a workflow and keeps what it printed for the secret checks, except n8n's own copies of
     * the workflow's node definitions: a failed execution's stack holds the node's parameters, as
     * the saved workflow does, and a secret typed into the node's fields is among them by n8n's
     * design (the README recommends the credential for that reason).
     *
     * @param {string} id
     */
    async function execute(id) {
      const result = await h.executeWorkflow(n8n, userFolder, id);
      const run = structuredClone(result.run);
      for (const entry of run?.data?.executionData?.nodeExecutionStack ?? []) {
        if (entry.node) entry.node.parameters = "(n8n's copy of the workflow's node parameters)";
      }
      printed.push(result.logLines.join('\n'), JSON.stringify(run, null, 1), result.stderr);
      return result;
    }

    before(async () => {
      /** @type {Record<string, string>} */
      const apps = { [FIELDS_APP.appId]: FIELDS_APP.appSecret, [CREDENTIAL_APP.appId]: CREDENTIAL_APP.appSecret };
      for (let n = 0; n < BULK_COUNT; n++) apps[bulkAppId(n)] = E2E_SECRETS.bulk(n);
      lark = await startStandIn({
        apps,
        storeApps: { [STORE_APP.appId]: { secret: STORE_APP.appSecret, tenants: [STORE_APP.tenantKey] } },
        rateLimitPerSecond: 1000,
      });
      n8n = h.installN8n(version);
      userFolder = h.freshUserFolder(n8n);
      const baseUrl = lark.url;
      await h.importInto(n8n, userFolder, 'credentials', [
        wf.larkbaseCredential(credential.id, credential.name, { ...CREDENTIAL_APP, baseUrl }),
      ]);
      const workflows = [
        wf.chain('wfFields00000001', 'Token from fields, then records', [
          wf.manualTrigger(),
          wf.larkbaseGetToken({ baseUrl, ...FIELDS_APP }),
          wf.listRecords({ baseUrl }),
        ]),
        wf.chain('wfCredential0001', 'Token from the credential', [
          wf.manualTrigger(),
          wf.larkbaseGetToken({ baseUrl, credential }),
        ]),
        wf.chain('wfHttpCred000001', 'HTTP Request signed by the credential', [
          wf.manualTrigger(),
          wf.listRecords({ baseUrl, credential, position: [220, 0] }),
        ]),
        wf.chain('wfBulk0000000001', '100 apps from expressions', [
          wf.manualTrigger(),
          wf.makeItems(baseUrl, BULK_COUNT),
          wf.larkbaseGetToken({
            baseUrl,
            appId: `={{ 'cli_e2e_bulk_' + String($json.n).padStart(3, '0') }}`,
            appSecret: `={{ '${E2E_SECRETS.bulkPrefix}' + $json.n }}`,
            position: [440, 0],
          }),
        ]),
        wf.chain('wfStoreApp000001', 'Store app tenant token, then records', [
          wf.manualTrigger(),
          wf.larkbaseGetToken({
            baseUrl,
            appId: STORE_APP.appId,
            appSecret: STORE_APP.appSecret,
            store: { appTicket: String(lark.appTicket(STORE_APP.appId)), tenantKey: STORE_APP.tenantKey },
          }),
          wf.listRecords({ baseUrl }),
        ]),
        wf.chain('wfWrongSecret001', 'Wrong secret', [
          wf.manualTrigger(),
          wf.larkbaseGetToken({ baseUrl, appId: FIELDS_APP.appId, appSecret: E2E_SECRETS.wrong }),
        ]),
        wf.chain('wfContinue000001', 'Wrong secret, continue on fail', [
          wf.manualTrigger(),
          wf.makeItems(baseUrl, 3),
          wf.larkbaseGetToken({
            baseUrl,
            appId: FIELDS_APP.appId,
            appSecret: `={{ $json.n === 1 ? '${E2E_SECRETS.wrong}' : '${E2E_SECRETS.fields}' }}`,
            continueOnFail: true,
            position: [440, 0],
          }),
        ]),
      ];
      for (const workflow of workflows) await h.importInto(n8n, userFolder, 'workflow', workflow);
    });

    after(async () => {
      await lark?.close();
      if (userFolder) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        fs.writeFileSync(path.join(ARTIFACTS, `n8n-${version}-printed.log`), printed.join('\n'));
      }
    });

    test('fields → token → HTTP Request with the Bearer token: records come back', async () => {
      const { code, run, stdout } = await execute('wfFields00000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const [token] = h.nodeItems(run, 'Larkbase Get Token');
      assert.ok(token, stdout.slice(0, 3000));
      assert.match(token.json.access_token, /^t-[0-9a-f]{32}$/);
      assert.equal(token.json.token_type, 'tenant_access_token');
      assert.ok(token.json.expires_in > 0);
      const [records] = h.nodeItems(run, 'List records');
      assert.equal(records.json.code, 0);
      assert.deepEqual(records.json.data.items, DEMO_RECORDS);
    });

    test('the credential: the node uses it, and HTTP Request is signed by it past the token lifetime', async () => {
      const viaNode = await execute('wfCredential0001');
      assert.equal(viaNode.code, 0, JSON.stringify(viaNode.run?.data?.resultData?.error));
      assert.match(h.nodeItems(viaNode.run, 'Larkbase Get Token')[0].json.access_token, /^t-/);

      const first = await execute('wfHttpCred000001');
      assert.equal(first.code, 0, JSON.stringify(first.run?.data?.resultData?.error));
      assert.deepEqual(h.nodeItems(first.run, 'List records')[0].json.data.items, DEMO_RECORDS);

      lark.advanceClock(2 * 3600 + 60);
      const later = await execute('wfHttpCred000001');
      assert.equal(later.code, 0, JSON.stringify(later.run?.data?.resultData?.error));
      assert.equal(h.nodeItems(later.run, 'List records')[0].json.code, 0);
    });

    test('100 items with App IDs and secrets from expressions give 100 paired tokens', async () => {
      const seenBefore = lark.requests.length;
      const { code, run } = await execute('wfBulk0000000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase Get Token');
      assert.equal(items.length, BULK_COUNT);
      const tokenRequests = lark.requests.slice(seenBefore).filter((r) => r.path.includes('access_token'));
      const sentFor = tokenRequests.map((r) => r.body.app_id);
      assert.deepEqual(sentFor, Array.from({ length: BULK_COUNT }, (_, n) => bulkAppId(n)));
      items.forEach((item, n) => {
        assert.equal(item.pairedItem?.item ?? item.pairedItem?.[0]?.item, n);
        assert.match(item.json.access_token, /^t-/);
        assert.ok(item.json.request.url.endsWith(`?app_id=cli_e2***${bulkAppId(n).slice(-4)}`), item.json.request.url);
      });
      assert.equal(new Set(items.map((i) => i.json.access_token)).size, BULK_COUNT);
    });

    test("a store app's tenant token from its app_ticket and tenant key reads the records", async () => {
      const seenBefore = lark.requests.length;
      const { code, run } = await execute('wfStoreApp000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      assert.match(h.nodeItems(run, 'Larkbase Get Token')[0].json.access_token, /^t-/);
      assert.deepEqual(h.nodeItems(run, 'List records')[0].json.data.items, DEMO_RECORDS);
      const paths = lark.requests.slice(seenBefore).map((r) => r.path);
      assert.deepEqual(paths.slice(0, 2), ['/open-apis/auth/v3/app_access_token', '/open-apis/auth/v3/tenant_access_token']);
    });

    test("a wrong App Secret fails the execution with Lark's message and the hint", async () => {
      const { code, run, stdout } = await execute('wfWrongSecret001');
      assert.notEqual(code, 0);
      const error = run?.data?.resultData?.error;
      assert.ok(error, stdout.slice(0, 2000));
      assert.match(error.message, /Lark returned code 10014: app secret invalid/);
      assert.match(error.description, /check the App Secret/);
      assert.equal(error.node.parameters.appSecret, '[redacted]');
      assert.ok(!JSON.stringify(run.data.resultData).includes(E2E_SECRETS.wrong), 'the error and the output hold no secret');
    });

    test('with Continue On Fail, the wrong secret becomes an error item and the others succeed', async () => {
      const { code, run } = await execute('wfContinue000001');
      assert.equal(code, 0, JSON.stringify(run?.data?.resultData?.error));
      const items = h.nodeItems(run, 'Larkbase Get Token');
      assert.equal(items.length, 3);
      assert.match(items[0].json.access_token, /^t-/);
      assert.equal(items[1].json.error.code, 'AUTH_FAILED');
      assert.match(items[1].json.error.message, /10014/);
      assert.match(items[2].json.access_token, /^t-/);
    });

    test("the App Secrets are in no execution output or log; the credential's nowhere in n8n's database", async () => {
      const everythingPrinted = printed.join('\n');
      assert.ok(everythingPrinted.length > 1000, 'the executions printed something to check');
      for (const secret of E2E_SECRETS.all()) {
        assert.ok(!everythingPrinted.includes(secret), `a secret was printed by n8n ${version}`);
      }
      const logsDir = path.join(userFolder, '.n8n', 'logs');
      const logs = fs.existsSync(logsDir) ? fs.readdirSync(logsDir).map((f) => fs.readFileSync(path.join(logsDir, f), 'utf8')) : [];
      for (const secret of E2E_SECRETS.all()) assert.ok(!logs.join('\n').includes(secret), 'a secret is in n8n logs');

      const dbFiles = fs.readdirSync(path.join(userFolder, '.n8n')).filter((f) => f.startsWith('database.sqlite'));
      assert.ok(dbFiles.includes('database.sqlite'));
      const database = Buffer.concat(dbFiles.map((f) => fs.readFileSync(path.join(userFolder, '.n8n', f))));
      assert.equal(database.includes(CREDENTIAL_APP.appSecret), false, "the credential's secret is in n8n's database");
      record(`n8n ${version} database check`, { files: dbFiles, bytes: database.length });
    });
  });
}
