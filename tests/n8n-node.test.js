// @ts-check
'use strict';
// The n8n node and credential as shipped in dist/, driven through a minimal stand-in for n8n's
// execution context, against the local Lark stand-in. Real n8n runs them in the end-to-end suite.

const { test, before, after, mock } = require('node:test');
const assert = require('node:assert/strict');
const { Readable } = require('node:stream');
const { NodeApiError, NodeOperationError } = require('n8n-workflow');
const pkg = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8'));
const { startStandIn, DEMO_RECORDS } = require('./lark-stand-in');
const { SECRETS, record } = require('./helpers');

const { LarkbaseGetToken } = require(`../${pkg.n8n.nodes[0]}`);
const { LarkbaseApi } = require(`../${pkg.n8n.credentials[0]}`);
const { httpRequestFetch } = require('../dist/js/n8n-support');
const codex = require(`../${pkg.n8n.nodes[0].replace(/\.js$/, '.json')}`);

const APPS = {
  cli_n8n_app_0000000001: SECRETS.main,
  cli_n8n_app_0000000002: SECRETS.other,
  cli_n8n_app_0000000003: SECRETS.escaped,
};
const [APP_1, APP_2, APP_3] = Object.keys(APPS);
const STORE_APP = 'cli_n8n_store_000001';
const STORE_TENANTS = ['tenant-hanoi', 'tenant-danang'];

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
before(async () => {
  lark = await startStandIn({ apps: APPS, storeApps: { [STORE_APP]: { secret: SECRETS.other, tenants: STORE_TENANTS } } });
});
after(() => lark.close());

/**
 * n8n's `httpRequest` helper as far as the adapter relies on it: full responses, no throwing on
 * HTTP errors, redirects not followed; and, like the real one, errors that carry the request.
 *
 * @param {import('n8n-workflow').IHttpRequestOptions} options
 */
async function httpRequest(options) {
  assert.equal(options.returnFullResponse, true);
  assert.equal(options.ignoreHttpStatusErrors, true);
  assert.equal(options.disableFollowRedirect, true);
  let response;
  try {
    response = await fetch(options.url, {
      method: options.method,
      headers: /** @type {Record<string, string>} */ (options.headers),
      body: /** @type {string} */ (options.body),
      redirect: 'manual',
      signal: /** @type {AbortSignal | undefined} */ (options.abortSignal),
    });
  } catch (error) {
    throw Object.assign(new Error(`request to ${options.url} failed, body ${options.body}`), {
      code: 'ECONNREFUSED',
      config: { data: options.body },
    });
  }
  return {
    statusCode: response.status,
    statusMessage: response.statusText,
    headers: Object.fromEntries(/** @type {Iterable<[string, string]>} */ (/** @type {unknown} */ (response.headers))),
    // Like axios under n8n's helper: a Node stream for `encoding: 'stream'`, else the text.
    body:
      options.encoding === 'stream' && response.body
        ? Readable.fromWeb(/** @type {import('node:stream/web').ReadableStream} */ (response.body))
        : await response.text(),
  };
}

/**
 * @param {{
 *   items?: number,
 *   params: (name: string, itemIndex: number) => unknown,
 *   credentials?: Record<string, unknown>,
 *   continueOnFail?: boolean,
 * }} setup
 */
function executeContext({ items = 1, params, credentials, continueOnFail = false }) {
  const node = {
    id: 'n1',
    name: 'Larkbase Get Token',
    type: 'larkbaseGetToken',
    typeVersion: 1,
    position: [0, 0],
    parameters: { credentialSource: 'fields', appId: 'cli_x', appSecret: SECRETS.main },
  };
  return /** @type {import('n8n-workflow').IExecuteFunctions} */ (
    /** @type {unknown} */ ({
      getInputData: () => Array.from({ length: items }, (_, i) => ({ json: { row: i } })),
      getNodeParameter: (/** @type {string} */ name, /** @type {number} */ i, /** @type {unknown} */ fallback) =>
        params(name, i) ?? fallback,
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

/** Node parameters for "App ID and Secret fields", one app per item. */
const fieldsFor =
  (/** @type {Array<[string, string]>} */ apps, /** @type {Record<string, unknown>} */ extra = {}) =>
  (/** @type {string} */ name, /** @type {number} */ i) =>
    ({ credentialSource: 'fields', appId: apps[i][0], appSecret: apps[i][1], tokenType: 'tenant_access_token', options: { domain: 'custom', baseUrl: lark.url }, ...extra })[name];

/**
 * @param {import('n8n-workflow').IExecuteFunctions} context
 * @returns {Promise<import('n8n-workflow').INodeExecutionData[][]>}
 */
async function run(context) {
  const node = new LarkbaseGetToken();
  try {
    return record('node output', await node.execute.call(context));
  } catch (error) {
    throw record('node error', error);
  }
}

/** Calls the stand-in's Lark Base records endpoint as a downstream node would. */
async function listRecords(/** @type {string} */ authorization) {
  const response = await fetch(`${lark.url}/open-apis/bitable/v1/apps/bascnDemo/tables/tblDemo/records`, {
    headers: { Authorization: authorization },
  });
  return /** @type {{ code: number, data?: { items: unknown[] } }} */ (await response.json());
}

test('the node describes itself as n8n expects', () => {
  const { description } = new LarkbaseGetToken();
  assert.equal(description.displayName, 'Larkbase Get Token');
  assert.equal(description.name, 'larkbaseGetToken');
  assert.equal(description.usableAsTool, true);
  assert.deepEqual(description.icon, { light: 'file:larkbaseGetToken.svg', dark: 'file:larkbaseGetToken.dark.svg' });
  const byName = Object.fromEntries(description.properties.map((/** @type {import('n8n-workflow').INodeProperties} */ p) => [p.name, p]));
  assert.deepEqual(Object.keys(byName), ['credentialSource', 'appId', 'appSecret', 'appType', 'appTicket', 'tenantKey', 'tokenType', 'options']);
  assert.equal(byName.appTicket.typeOptions?.password, true);
  assert.equal(byName.appSecret.typeOptions?.password, true);
  for (const property of description.properties) assert.ok(property.description, `${property.name} is described`);
  assert.deepEqual(
    byName.tokenType.options?.map((/** @type {any} */ o) => o.value),
    ['tenant_access_token', 'app_access_token'],
  );
  assert.deepEqual(description.credentials?.[0].name, 'larkbaseApi');
  assert.equal(description.credentials?.[0].testedBy, 'larkbaseApiTest');
  assert.equal(codex.node, `${pkg.name}.larkbaseGetToken`);
  for (const alias of ['lark', 'feishu', 'larksuite', 'bitable', 'token']) assert.ok(codex.alias.includes(alias), alias);
});

test('the credential keeps the secret in a password field', () => {
  const credential = new LarkbaseApi();
  assert.equal(credential.name, 'larkbaseApi');
  assert.equal(credential.displayName, 'Larkbase API');
  const byName = Object.fromEntries(credential.properties.map((/** @type {import('n8n-workflow').INodeProperties} */ p) => [p.name, p]));
  assert.deepEqual(Object.keys(byName), ['appId', 'appSecret', 'appType', 'appTicket', 'tenantKey', 'domain', 'baseUrl', 'verificationToken', 'encryptKey']);
  assert.deepEqual(byName.appTicket.displayOptions, { show: { appType: ['store'] } });
  assert.equal(byName.appSecret.typeOptions?.password, true);
  // The Larkbase Trigger's event secrets are masked too.
  assert.equal(byName.verificationToken.typeOptions?.password, true);
  assert.equal(byName.encryptKey.typeOptions?.password, true);
});

test('one paired output item per input item, each with its own app from expressions', async () => {
  const apps = /** @type {Array<[string, string]>} */ (Object.entries(APPS));
  const seenBefore = lark.requests.length;
  const [out] = await run(executeContext({ items: 3, params: fieldsFor(apps) }));
  assert.equal(out.length, 3);
  const sentAppIds = lark.requests.slice(seenBefore).map((r) => r.body.app_id);
  assert.deepEqual(sentAppIds, [APP_1, APP_2, APP_3]);
  out.forEach((/** @type {import('n8n-workflow').INodeExecutionData} */ item, /** @type {number} */ i) => {
    assert.deepEqual(item.pairedItem, { item: i });
    assert.match(String(item.json.access_token), /^t-/);
    assert.equal(item.json.token_type, 'tenant_access_token');
    assert.ok(Number(item.json.expires_in) > 0);
  });
  assert.equal(new Set(out.map((/** @type {import('n8n-workflow').INodeExecutionData} */ item) => item.json.access_token)).size, 3, 'a different token per app');
  const records = await listRecords(`Bearer ${out[1].json.access_token}`);
  assert.equal(records.code, 0);
});

test('with the credential, its domain is used unless the node options set one', async () => {
  const credentials = { appId: APP_1, appSecret: SECRETS.main, domain: 'custom', baseUrl: lark.url };
  const params = (/** @type {string} */ name) =>
    ({ credentialSource: 'larkbaseApi', tokenType: 'app_access_token', options: {} })[name];
  const [[item]] = await run(executeContext({ params, credentials }));
  assert.match(String(item.json.access_token), /^a-/);
  assert.equal(item.json.token_type, 'app_access_token');

  const overridden = (/** @type {string} */ name) =>
    ({ credentialSource: 'larkbaseApi', tokenType: 'tenant_access_token', options: { domain: 'custom', baseUrl: 'http://127.0.0.1:9' } })[name];
  await assert.rejects(run(executeContext({ params: overridden, credentials })), (error) => {
    assert.ok(error instanceof NodeApiError);
    // n8n puts its own words first for refused connections and keeps ours among the messages.
    assert.match([error.message, ...error.messages].join('\n'), /could not reach http:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
    return true;
  });
});

test('Continue On Fail: a failing item becomes an error item and the others go on', async () => {
  const apps = /** @type {Array<[string, string]>} */ ([
    [APP_1, SECRETS.main],
    [APP_2, SECRETS.wrong],
    [APP_3, SECRETS.escaped],
  ]);
  const [out] = await run(executeContext({ items: 3, params: fieldsFor(apps), continueOnFail: true }));
  assert.equal(out.length, 3);
  assert.match(String(out[0].json.access_token), /^t-/);
  assert.match(String(out[2].json.access_token), /^t-/);
  assert.deepEqual(out[1], {
    json: {
      error: {
        message: 'Lark returned code 10014: app secret invalid',
        code: 'AUTH_FAILED',
        hint: 'check the App Secret in the developer console (Credentials & Basic Info)',
      },
    },
    pairedItem: { item: 1 },
  });
});

test('without Continue On Fail, Lark errors are NodeApiError with the item, message and hint', async () => {
  const apps = /** @type {Array<[string, string]>} */ ([
    [APP_1, SECRETS.main],
    [APP_2, SECRETS.wrong],
  ]);
  await assert.rejects(run(executeContext({ items: 2, params: fieldsFor(apps) })), (error) => {
    assert.ok(error instanceof NodeApiError);
    assert.equal(error.node?.parameters.appSecret, '[redacted]', 'n8n saves the node with the error');
    assert.equal(error.message, 'Lark returned code 10014: app secret invalid');
    assert.equal(error.description, 'check the App Secret in the developer console (Credentials & Basic Info)');
    assert.equal(error.context.itemIndex, 1);
    assert.equal(error.httpCode, '200');
    assert.deepEqual(error.errorResponse, {
      message: 'Lark returned code 10014: app secret invalid',
      code: 'AUTH_FAILED',
      larkCode: 10014,
      larkMsg: 'app secret invalid',
      httpStatus: 200,
    });
    return true;
  });
});

test('bad parameters are NodeOperationError naming the field', async () => {
  const apps = /** @type {Array<[string, string]>} */ ([['', SECRETS.main]]);
  await assert.rejects(run(executeContext({ params: fieldsFor(apps) })), (error) => {
    assert.ok(error instanceof NodeOperationError);
    assert.equal(error.node?.parameters.appSecret, '[redacted]');
    assert.equal(error.message, 'appId is empty');
    assert.equal(error.context.itemIndex, 0);
    return true;
  });
  const badTimeout = fieldsFor([[APP_1, SECRETS.main]], { options: { domain: 'custom', baseUrl: lark.url, timeout: -1 } });
  await assert.rejects(run(executeContext({ params: badTimeout })), /timeoutMs must be a whole number/);
});

test('the request helper adapter: status, headers, body, redirects and errors', async () => {
  const fetch = httpRequestFetch(httpRequest);
  const init = {
    method: /** @type {const} */ ('POST'),
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ app_id: APP_1, app_secret: SECRETS.main }),
    redirect: /** @type {const} */ ('manual'),
    signal: AbortSignal.timeout(5000),
  };
  const ok = await fetch(`${lark.url}/open-apis/auth/v3/tenant_access_token/internal`, init);
  assert.equal(ok.status, 200);
  assert.match(String(ok.headers?.get('Content-Type')), /^application\/json/);
  // The body comes as a stream, read the way the module reads it.
  const reader = /** @type {any} */ (ok.body).getReader();
  let text = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += Buffer.from(chunk.value);
  assert.equal(JSON.parse(text).code, 0);

  lark.inject('redirect');
  const redirect = await fetch(`${lark.url}/open-apis/auth/v3/tenant_access_token/internal`, init);
  assert.equal(redirect.status, 302);

  /** @type {any} */
  const failed = await Promise.resolve(fetch('http://127.0.0.1:9/open-apis/auth/v3/tenant_access_token/internal', init)).catch((e) => e);
  record('adapter error', failed);
  assert.ok(failed instanceof Error);
  assert.equal(failed.message, 'request failed');
  assert.deepEqual({ ...failed }, { name: 'RequestError', code: 'ECONNREFUSED' }, 'no request config');

  // Helpers that parse JSON themselves, or hand back bytes, still give getToken the text.
  const parsing = httpRequestFetch(async () => ({ statusCode: 200, headers: {}, body: { code: 0, msg: 'ok' } }));
  assert.equal(await (await parsing('u', init)).text?.(), '{"code":0,"msg":"ok"}');
  const bytes = httpRequestFetch(async () => ({ statusCode: 200, headers: {}, body: new TextEncoder().encode('{"a":1}') }));
  assert.equal(await (await bytes('u', init)).text?.(), '{"a":1}');
});

test('through the node, helper errors become NETWORK_ERROR without the request', async () => {
  const params = fieldsFor([[APP_1, SECRETS.main]], { options: { domain: 'custom', baseUrl: 'http://127.0.0.1:9' } });
  const [[item]] = await run(executeContext({ params, continueOnFail: true }));
  const error = /** @type {{ code: string, message: string }} */ (item.json.error);
  assert.equal(error.code, 'NETWORK_ERROR');
  assert.equal(error.message, 'could not reach http://127.0.0.1:9: ECONNREFUSED (after 3 attempts)');
});

test('Force Refresh asks Lark again instead of using the cached token', async () => {
  const apps = /** @type {Array<[string, string]>} */ ([[APP_1, SECRETS.main]]);
  await run(executeContext({ params: fieldsFor(apps) }));
  const seen = lark.requests.length;
  await run(executeContext({ params: fieldsFor(apps) }));
  assert.equal(lark.requests.length, seen, 'cached');
  const refresh = fieldsFor(apps, { options: { domain: 'custom', baseUrl: lark.url, forceRefresh: true } });
  await run(executeContext({ params: refresh }));
  assert.equal(lark.requests.length, seen + 1);
});

test('a store app through the fields: app_ticket and tenant key per item', async () => {
  const storeParams = (/** @type {string} */ name, /** @type {number} */ i) =>
    ({
      credentialSource: 'fields',
      appId: STORE_APP,
      appSecret: SECRETS.other,
      appType: 'store',
      appTicket: lark.appTicket(STORE_APP),
      tenantKey: STORE_TENANTS[i],
      tokenType: 'tenant_access_token',
      options: { domain: 'custom', baseUrl: lark.url },
    })[name];
  const [out] = await run(executeContext({ items: 2, params: storeParams }));
  assert.equal(out.length, 2);
  assert.notEqual(out[0].json.access_token, out[1].json.access_token);
  assert.equal((await listRecords(`Bearer ${out[1].json.access_token}`)).code, 0);
  const sent = lark.requests.filter((r) => r.path === '/open-apis/auth/v3/tenant_access_token').map((r) => r.body.tenant_key);
  assert.deepEqual(sent, STORE_TENANTS);
});

test('the credential test passes only when Lark issues a token, and shows why not', async () => {
  const { larkbaseApiTest } = new LarkbaseGetToken().methods.credentialTest;
  /** @returns {Promise<import('n8n-workflow').INodeCredentialTestResult>} */
  const testWith = async (/** @type {Record<string, unknown>} */ data) =>
    record(
      'credential test',
      await larkbaseApiTest.call(/** @type {any} */ ({}), { id: '1', name: 'Lark', type: 'larkbaseApi', data }),
    );
  const base = { domain: 'custom', baseUrl: lark.url };
  assert.equal((await testWith({ ...base, appId: APP_1, appSecret: SECRETS.main })).status, 'OK');
  const unknownApp = await testWith({ ...base, appId: 'cli_unknown0000000000', appSecret: SECRETS.main });
  assert.equal(unknownApp.status, 'Error');
  assert.match(unknownApp.message, /^Lark returned code 10003: invalid param \(check the App ID/);
  const wrongSecret = await testWith({ ...base, appId: APP_1, appSecret: SECRETS.wrong });
  assert.equal(wrongSecret.status, 'Error');
  assert.match(wrongSecret.message, /^Lark returned code 10014: app secret invalid \(check the App Secret/);
});

test('the credential signs requests with a good tenant token, past the token lifetime too', async (t) => {
  // The Date mock moves the clock of both the wasm module's cache and the stand-in.
  t.after(() => mock.timers.reset());
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const credential = new LarkbaseApi();
  const data = { appId: APP_2, appSecret: SECRETS.other, domain: 'custom', baseUrl: lark.url };
  const sign = async () => {
    const signed = await credential.authenticate(data, { url: '/records', headers: { Accept: 'application/json' } });
    assert.equal(signed.url, '/records');
    assert.equal(signed.headers?.Accept, 'application/json');
    return String(signed.headers?.Authorization);
  };
  const first = await sign();
  assert.match(first, /^Bearer t-/);
  assert.deepEqual((await listRecords(first)).data?.items, DEMO_RECORDS);

  assert.equal(await sign(), first, 'the cached token signs while it is good');
  mock.timers.tick(7300 * 1000);
  assert.equal((await listRecords(first)).code, 99991663, 'the old token has expired');
  const later = await sign();
  assert.notEqual(later, first);
  assert.equal((await listRecords(later)).code, 0);
});

test('the credential reports a wrong secret instead of sending an unsigned request', async () => {
  const credential = new LarkbaseApi();
  const data = { appId: APP_1, appSecret: SECRETS.wrong, domain: 'custom', baseUrl: lark.url };
  await assert.rejects(
    credential.authenticate(data, { url: '/records' }).catch((/** @type {unknown} */ e) => Promise.reject(record('authenticate error', e))),
    { name: 'LarkbaseTokenError', code: 'AUTH_FAILED' },
  );
});
