// @ts-check
'use strict';
// The n8n workflows the end-to-end tests and the demo import, built for a given Lark stand-in URL.

const { CREDENTIAL_TYPE, LARKBASE_NODE_TYPE, NODE_TYPE, PACKAGE_NAME } = require('./n8n-harness');

const RECORDS_PATH = '/open-apis/bitable/v1/apps/bascnDemoBase/tables/tblDemoTable/records';

/**
 * @typedef {{ id: string, name: string, type: string, typeVersion: number, position: [number, number],
 *   parameters: Record<string, unknown>, credentials?: Record<string, { id: string, name: string }>,
 *   onError?: string, webhookId?: string }} WorkflowNode
 */

/** @returns {WorkflowNode} */
function manualTrigger() {
  return {
    id: 'trigger',
    name: 'When clicking Execute workflow',
    type: 'n8n-nodes-base.manualTrigger',
    typeVersion: 1,
    position: [0, 0],
    parameters: {},
  };
}

/**
 * A production webhook, `POST /webhook/<path>`, that answers with the last node's first item once
 * the execution has finished.
 *
 * @param {string} path
 * @returns {WorkflowNode}
 */
function webhookTrigger(path) {
  return {
    id: 'webhook',
    name: 'Webhook',
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    // n8n gives each webhook node a UUID; a fixed one derived from the path keeps imports repeatable.
    webhookId: require('node:crypto').createHash('sha1').update(path).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
    parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
  };
}

/**
 * @param {{ name?: string, baseUrl: string, credential?: { id: string, name: string },
 *   appId?: string, appSecret?: string, tokenType?: string, continueOnFail?: boolean,
 *   store?: { appTicket: string, tenantKey: string }, position?: [number, number] }} options
 * @returns {WorkflowNode}
 */
function larkbaseGetToken({ name = 'Larkbase Get Token', baseUrl, credential, appId, appSecret, tokenType = 'tenant_access_token', continueOnFail, store, position = [220, 0] }) {
  return {
    id: name.replace(/\W+/g, '-').toLowerCase(),
    name,
    type: NODE_TYPE,
    typeVersion: 1,
    position,
    parameters: credential
      ? { credentialSource: 'larkbaseApi', tokenType, options: {} }
      : {
          credentialSource: 'fields',
          appId,
          appSecret,
          ...(store ? { appType: 'store', ...store } : {}),
          tokenType,
          options: { domain: 'custom', baseUrl },
        },
    ...(credential ? { credentials: { [CREDENTIAL_TYPE]: credential } } : {}),
    ...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
  };
}

/**
 * An HTTP Request node calling Lark Base's "list records", signed either with the token from the
 * previous node or by the Larkbase API credential itself.
 *
 * @param {{ name?: string, baseUrl: string, credential?: { id: string, name: string },
 *   position?: [number, number] }} options
 * @returns {WorkflowNode}
 */
function listRecords({ name = 'List records', baseUrl, credential, position = [440, 0] }) {
  const url = `${baseUrl}${RECORDS_PATH}`;
  return {
    id: name.replace(/\W+/g, '-').toLowerCase(),
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: credential
      ? { method: 'GET', url, authentication: 'predefinedCredentialType', nodeCredentialType: CREDENTIAL_TYPE, options: {} }
      : {
          method: 'GET',
          url,
          sendHeaders: true,
          headerParameters: { parameters: [{ name: 'Authorization', value: '=Bearer {{ $json.access_token }}' }] },
          options: {},
        },
    ...(credential ? { credentials: { [CREDENTIAL_TYPE]: credential } } : {}),
  };
}

/**
 * An HTTP Request node that fetches `count` items `{ n }` from the stand-in's test route.
 *
 * @param {string} baseUrl
 * @param {number} count
 * @returns {WorkflowNode}
 */
function makeItems(baseUrl, count) {
  return {
    id: 'make-items',
    name: 'Make items',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position: [220, 0],
    parameters: { method: 'GET', url: `${baseUrl}/stand-in/items?count=${count}`, options: {} },
  };
}

/**
 * An HTTP Request node that fetches `count` rows for the stand-in's sample table (Key, Name,
 * Amount, Status, Due, Paid), from row `from` on; row `bad` gets a date no one can read.
 *
 * @param {string} baseUrl
 * @param {{ count: number, from?: number, bad?: number, name?: string, position?: [number, number] }} options
 * @returns {WorkflowNode}
 */
function makeRows(baseUrl, { count, from = 0, bad, name = 'Make rows', position = [440, 0] }) {
  const extra = bad === undefined ? '' : `&bad=${bad}`;
  return {
    id: name.replace(/\W+/g, '-').toLowerCase(),
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: { method: 'GET', url: `${baseUrl}/stand-in/items?kind=rows&count=${count}&from=${from}${extra}`, options: {} },
  };
}

/**
 * A Larkbase node. Without `credential`, it uses the Access Token field: its default expression
 * (`{{ $json.access_token }}`) unless `accessToken` gives another.
 *
 * @param {{ name?: string, baseUrl: string, credential?: { id: string, name: string }, accessToken?: string,
 *   base: string, table: string, operation: string, resource?: string, keys?: string[],
 *   parameters?: Record<string, unknown>, continueOnFail?: boolean, position?: [number, number] }} options
 * @returns {WorkflowNode}
 */
function larkbase({ name = 'Larkbase', baseUrl, credential, accessToken, base, table, operation, resource = 'record', keys, parameters = {}, continueOnFail, position = [660, 0] }) {
  const writes = ['create', 'update', 'upsert'].includes(operation);
  return {
    // Not the bare slug: n8n 2.41.1's editor opened "Larkbase Get Token" (id larkbase-get-token)
    // for a node whose id, larkbase, is the start of it.
    id: `${name.replace(/\W+/g, '-').toLowerCase()}-node`,
    name,
    type: LARKBASE_NODE_TYPE,
    typeVersion: 1,
    position,
    parameters: {
      ...(credential
        ? { credentialSource: 'larkbaseApi' }
        : { credentialSource: 'accessToken', ...(accessToken ? { accessToken } : {}), domain: 'custom', baseUrl }),
      resource,
      operation,
      base: { __rl: true, mode: 'id', value: base },
      table: { __rl: true, mode: 'id', value: table },
      ...(writes ? { columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: keys ?? [], schema: [] } } : {}),
      options: {},
      ...parameters,
    },
    ...(credential ? { credentials: { [CREDENTIAL_TYPE]: credential } } : {}),
    ...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
  };
}

/**
 * A workflow whose nodes run one after the other.
 *
 * @param {string} id
 * @param {string} name
 * @param {WorkflowNode[]} nodes
 */
function chain(id, name, nodes) {
  /** @type {Record<string, unknown>} */
  const connections = {};
  nodes.slice(0, -1).forEach((node, i) => {
    connections[node.name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
  });
  return { id, name, active: false, nodes, connections, settings: { executionOrder: 'v1' }, pinData: {} };
}

/**
 * @param {string} id
 * @param {string} name
 * @param {{ appId: string, appSecret: string, baseUrl: string, verificationToken?: string, encryptKey?: string,
 *   appType?: string, tenantKey?: string }} app
 */
function larkbaseCredential(id, name, { appId, appSecret, baseUrl, ...extra }) {
  return { id, name, type: CREDENTIAL_TYPE, data: { appId, appSecret, domain: 'custom', baseUrl, ...extra } };
}

/** A webhook node's fixed UUID, derived from a name so that imports are repeatable. */
const fixedWebhookId = (/** @type {string} */ name) =>
  require('node:crypto').createHash('sha1').update(name).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

/**
 * A Larkbase Trigger; its production URL is `/webhook/<webhookId>/lark` (Lark Events mode).
 *
 * @param {{ name?: string, webhookId: string, credential: { id: string, name: string }, parameters: Record<string, unknown>,
 *   position?: [number, number] }} options
 * @returns {WorkflowNode}
 */
function larkbaseTrigger({ name = 'Larkbase Trigger', webhookId, credential, parameters, position = [0, 0] }) {
  return {
    id: 'larkbase-trigger-node',
    name,
    type: `${PACKAGE_NAME}.larkbaseTrigger`,
    typeVersion: 1,
    position,
    webhookId,
    parameters: { options: {}, ...parameters },
    credentials: { [CREDENTIAL_TYPE]: credential },
  };
}

/**
 * An HTTP Request node that posts each item to the stand-in's collector, under `tag`: how the
 * trigger's tests see what an execution started with.
 *
 * @param {string} baseUrl
 * @param {string} tag
 * @returns {WorkflowNode}
 */
function collect(baseUrl, tag) {
  return {
    id: 'collect-node',
    name: 'Collect',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position: [220, 0],
    parameters: {
      method: 'POST',
      url: `${baseUrl}/stand-in/collect?tag=${tag}`,
      sendBody: true,
      specifyBody: 'json',
      jsonBody: '={{ JSON.stringify($json) }}',
      options: {},
    },
  };
}

module.exports = { RECORDS_PATH, collect, fixedWebhookId, larkbaseTrigger, chain, larkbase, larkbaseCredential, larkbaseGetToken, listRecords, makeItems, makeRows, manualTrigger, webhookTrigger };
