// @ts-check
'use strict';

const { NodeConnectionTypes } = require('n8n-workflow');
const { getToken } = require('../../index');
const { credentialParams, domainParam, httpRequestFetch, nodeError, safeError, storeAppParams } = require('../../n8n-support');

/**
 * @typedef {import('n8n-workflow').INodeType} INodeType
 * @typedef {import('n8n-workflow').IExecuteFunctions} IExecuteFunctions
 * @typedef {import('n8n-workflow').INodeExecutionData} INodeExecutionData
 * @typedef {import('n8n-workflow').ICredentialTestFunctions} ICredentialTestFunctions
 * @typedef {import('n8n-workflow').ICredentialsDecrypted} ICredentialsDecrypted
 * @typedef {import('n8n-workflow').INodeCredentialTestResult} INodeCredentialTestResult
 * @typedef {import('../../index').TokenParams} TokenParams
 */

/** @implements {INodeType} */
class LarkbaseGetToken {
  /** @type {import('n8n-workflow').INodeTypeDescription} */
  description = {
    displayName: 'Larkbase Get Token',
    name: 'larkbaseGetToken',
    icon: { light: 'file:larkbaseGetToken.svg', dark: 'file:larkbaseGetToken.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{ $parameter["tokenType"] === "app_access_token" ? "App Access Token" : "Tenant Access Token" }}',
    description:
      'Get a Lark or Feishu access token from an App ID and App Secret, for Larkbase and HTTP Request nodes',
    defaults: { name: 'Larkbase Get Token' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      {
        name: 'larkbaseApi',
        required: true,
        testedBy: 'larkbaseApiTest',
        displayOptions: { show: { credentialSource: ['larkbaseApi'] } },
      },
    ],
    properties: [
      {
        // Not named `authentication`: n8n's editor hides a field of that name in its credential
        // section and offers only the choices that have a credential, so "fields" could not be picked.
        displayName: 'Authentication',
        name: 'credentialSource',
        type: 'options',
        options: [
          {
            name: 'Larkbase API Credential',
            value: 'larkbaseApi',
            description: 'Recommended: n8n stores the App Secret encrypted',
          },
          {
            name: 'App ID and Secret Fields',
            value: 'fields',
            description: 'The App Secret is saved in the workflow itself, in plain text',
          },
        ],
        default: 'larkbaseApi',
        description: 'Where the App ID and App Secret come from',
      },
      {
        displayName: 'App ID',
        name: 'appId',
        type: 'string',
        required: true,
        default: '',
        placeholder: 'cli_a1b2c3d4e5f6a7b8',
        description: "The app's App ID, from Credentials & Basic Info in the Lark or Feishu developer console",
        displayOptions: { show: { credentialSource: ['fields'] } },
      },
      {
        displayName: 'App Secret',
        name: 'appSecret',
        type: 'string',
        typeOptions: { password: true },
        required: true,
        default: '',
        description: "The app's App Secret, from the same page. Prefer the credential: it keeps the secret encrypted.",
        displayOptions: { show: { credentialSource: ['fields'] } },
      },
      {
        displayName: 'App Type',
        name: 'appType',
        type: 'options',
        options: [
          { name: 'Self-Built App', value: 'selfBuilt', description: 'An internal app made in your own tenant' },
          { name: 'Store App', value: 'store', description: 'A marketplace app that other tenants install' },
        ],
        default: 'selfBuilt',
        description: 'Self-built apps need only the App ID and Secret; store apps also need an app_ticket and a tenant key',
        displayOptions: { show: { credentialSource: ['fields'] } },
      },
      {
        displayName: 'App Ticket',
        name: 'appTicket',
        type: 'string',
        typeOptions: { password: true },
        default: '',
        description: 'Leave empty to use the newest app_ticket a Larkbase Trigger (Lark Events) received in this n8n process; or the latest one Lark pushed (it changes about hourly)',
        displayOptions: { show: { credentialSource: ['fields'], appType: ['store'] } },
      },
      {
        displayName: 'Tenant Key',
        name: 'tenantKey',
        type: 'string',
        default: '',
        description: 'The tenant that installed the store app; needed for a tenant access token',
        displayOptions: { show: { credentialSource: ['fields'], appType: ['store'] } },
      },
      {
        displayName: 'Access Token Type',
        name: 'tokenType',
        type: 'options',
        options: [
          {
            name: 'Tenant Access Token',
            value: 'tenant_access_token',
            description: 'For internal (self-built) apps calling Lark APIs, e.g. Lark Base, as the app',
          },
          {
            name: 'App Access Token',
            value: 'app_access_token',
            description: 'Identifies the app itself, for the few APIs that ask for it',
          },
        ],
        default: 'tenant_access_token',
        description: 'Which token to get',
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        description: 'Domain, cache, store-app overrides and timeout',
        options: [
          {
            displayName: 'Custom Base URL',
            name: 'baseUrl',
            type: 'string',
            default: '',
            placeholder: 'https://open.larksuite.com',
            description: 'For a private deployment or a proxy, used when Domain is Custom Base URL. https only.',
          },
          {
            displayName: 'Domain',
            name: 'domain',
            type: 'options',
            options: [
              { name: 'Lark (open.larksuite.com)', value: 'lark' },
              { name: 'Feishu (open.feishu.cn)', value: 'feishu' },
              { name: 'Custom Base URL', value: 'custom' },
            ],
            default: 'lark',
            description:
              "Where the app was created. Overrides the credential's domain. Lark is the international platform, Vietnam included.",
          },
          {
            displayName: 'Force Refresh',
            name: 'forceRefresh',
            type: 'boolean',
            default: false,
            description:
              'Whether to ask Lark for a token even when a cached one has more than 5 minutes left (tokens are cached per app, domain and tenant)',
          },
          {
            displayName: 'Store App Tenant Key',
            name: 'tenantKey',
            type: 'string',
            default: '',
            description: "Store apps: a tenant key that replaces the credential's",
          },
          {
            displayName: 'Store App Ticket',
            name: 'appTicket',
            type: 'string',
            typeOptions: { password: true },
            default: '',
            description: "Store apps: an app_ticket that replaces the credential's, e.g. the latest one your app_ticket event handler saved",
          },
          {
            displayName: 'Timeout',
            name: 'timeout',
            type: 'number',
            typeOptions: { minValue: 1, maxValue: 300000 },
            default: 10000,
            description: 'How long to wait for Lark, in milliseconds (1 to 300000)',
          },
        ],
      },
    ],
  };

  methods = {
    credentialTest: {
      /**
       * Passes only when Lark hands out a token; otherwise shows Lark's message and the hint.
       *
       * @this {ICredentialTestFunctions}
       * @param {ICredentialsDecrypted} credential
       * @returns {Promise<INodeCredentialTestResult>}
       */
      async larkbaseApiTest(credential) {
        try {
          await getToken(credentialParams(credential.data ?? {}));
          return { status: 'OK', message: 'Lark issued a tenant access token' };
        } catch (error) {
          const { message, hint } = safeError(error);
          return { status: 'Error', message: hint ? `${message} (${hint})` : message };
        }
      },
    },
  };

  /**
   * @this {IExecuteFunctions}
   * @returns {Promise<INodeExecutionData[][]>}
   */
  async execute() {
    const items = this.getInputData();
    const fetch = httpRequestFetch((options) => this.helpers.httpRequest(options));
    /** @type {INodeExecutionData[]} */
    const returnData = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      try {
        const params = await tokenParams(this, itemIndex);
        const token = await getToken({ ...params, fetch });
        returnData.push({ json: { ...token }, pairedItem: { item: itemIndex } });
      } catch (error) {
        const safe = safeError(error);
        if (this.continueOnFail()) {
          returnData.push({
            json: { error: { message: safe.message, code: safe.code, hint: safe.hint } },
            pairedItem: { item: itemIndex },
          });
          continue;
        }
        throw nodeError(nodeWithoutSecret(this.getNode()), safe, itemIndex, ['INVALID_PARAMS', 'UNKNOWN']);
      }
    }
    return [returnData];
  }
}

/**
 * The params for one item: App ID and Secret from the credential or the node's fields, evaluated
 * per item so that expressions can pick a different app for each.
 *
 * @param {IExecuteFunctions} context
 * @param {number} itemIndex
 * @returns {Promise<TokenParams>}
 */
async function tokenParams(context, itemIndex) {
  const credentialSource = context.getNodeParameter('credentialSource', itemIndex);
  const options = /** @type {{ domain?: string, baseUrl?: string, timeout?: number, forceRefresh?: boolean,
    appTicket?: string, tenantKey?: string }} */ (context.getNodeParameter('options', itemIndex, {}));
  const base =
    credentialSource === 'larkbaseApi'
      ? credentialParams(await context.getCredentials('larkbaseApi', itemIndex))
      : /** @type {TokenParams} */ ({
          appId: context.getNodeParameter('appId', itemIndex),
          appSecret: context.getNodeParameter('appSecret', itemIndex),
          // A store app with an empty App Ticket takes the newest one a Larkbase Trigger received.
          ...(context.getNodeParameter('appType', itemIndex, 'selfBuilt') === 'store' ? { appType: 'store' } : {}),
          ...storeAppParams(
            context.getNodeParameter('appType', itemIndex, 'selfBuilt'),
            context.getNodeParameter('appTicket', itemIndex, ''),
            context.getNodeParameter('tenantKey', itemIndex, ''),
          ),
        });
  return {
    ...base,
    ...storeAppParams('store', options.appTicket, options.tenantKey),
    tokenType: /** @type {TokenParams['tokenType']} */ (context.getNodeParameter('tokenType', itemIndex)),
    domain: domainParam(options.domain, options.baseUrl) ?? base.domain,
    timeoutMs: options.timeout,
    cache: !options.forceRefresh,
  };
}


/**
 * n8n prints and saves an error's node with its parameters, so the App Secret field is masked in
 * the copy errors get.
 *
 * @param {import('n8n-workflow').INode} node
 * @returns {import('n8n-workflow').INode}
 */
function nodeWithoutSecret(node) {
  if (node.parameters?.appSecret === undefined) return node;
  return { ...node, parameters: { ...node.parameters, appSecret: '[redacted]' } };
}

module.exports = { LarkbaseGetToken };
