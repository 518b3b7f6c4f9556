// @ts-check
'use strict';

const { getToken } = require('../index');
const { credentialParams } = require('../n8n-support');

/**
 * @typedef {import('n8n-workflow').ICredentialType} ICredentialType
 * @typedef {import('n8n-workflow').ICredentialDataDecryptedObject} ICredentialDataDecryptedObject
 * @typedef {import('n8n-workflow').IHttpRequestOptions} IHttpRequestOptions
 */

/** @implements {ICredentialType} */
class LarkbaseApi {
  name = 'larkbaseApi';

  displayName = 'Larkbase API';

  icon = /** @type {const} */ ({
    light: 'file:../nodes/LarkbaseGetToken/larkbaseGetToken.svg',
    dark: 'file:../nodes/LarkbaseGetToken/larkbaseGetToken.dark.svg',
  });

  documentationUrl = 'https://open.larksuite.com/document/server-docs/authentication-management/access-token/tenant_access_token_internal';

  /** @type {import('n8n-workflow').INodeProperties[]} */
  properties = [
    {
      displayName: 'App ID',
      name: 'appId',
      type: 'string',
      required: true,
      default: '',
      placeholder: 'cli_a1b2c3d4e5f6a7b8',
      description: "The app's App ID, from Credentials & Basic Info in the Lark or Feishu developer console",
    },
    {
      displayName: 'App Secret',
      name: 'appSecret',
      type: 'string',
      typeOptions: { password: true },
      required: true,
      default: '',
      description: "The app's App Secret, from the same page",
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
    },
    {
      displayName: 'App Ticket',
      name: 'appTicket',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description:
        'Leave empty to use the newest app_ticket a Larkbase Trigger (Lark Events) received for this app in this n8n process; or the latest one Lark pushed (it changes about hourly)',
      displayOptions: { show: { appType: ['store'] } },
    },
    {
      displayName: 'Tenant Key',
      name: 'tenantKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'The tenant that installed the app, for its tenant access token',
      displayOptions: { show: { appType: ['store'] } },
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
      description: 'Where the app was created. Lark is the international platform, Vietnam included.',
    },
    {
      displayName: 'Custom Base URL',
      name: 'baseUrl',
      type: 'string',
      default: '',
      placeholder: 'https://open.larksuite.com',
      description: 'For a private deployment or a proxy. https only.',
      displayOptions: { show: { domain: ['custom'] } },
    },
    {
      displayName: 'Verification Token',
      name: 'verificationToken',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description:
        "For the Larkbase Trigger's Lark Events: the Verification Token from the app's Event Subscriptions page (Events & Callbacks → Encryption Strategy)",
    },
    {
      displayName: 'Encrypt Key',
      name: 'encryptKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description:
        "For the Larkbase Trigger's Lark Events: the Encrypt Key from the same page. Recommended: with it, Lark encrypts and signs every event.",
    },
  ];

  /**
   * Signs every request of a node that uses this credential (the HTTP Request node among them)
   * with a tenant token fetched just before it. n8n refreshes pre-authenticated tokens only on
   * HTTP 401, while Lark reports a stale token with HTTP 400 and code 99991663; getting the token
   * here, per request, means a stale one is never sent.
   *
   * @param {ICredentialDataDecryptedObject} credentials
   * @param {IHttpRequestOptions} requestOptions
   * @returns {Promise<IHttpRequestOptions>}
   */
  authenticate = async (credentials, requestOptions) => {
    const token = await getToken(credentialParams(credentials));
    return {
      ...requestOptions,
      headers: { ...requestOptions.headers, Authorization: `Bearer ${token.access_token}` },
    };
  };
}

module.exports = { LarkbaseApi };
