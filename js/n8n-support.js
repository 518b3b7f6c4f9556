// @ts-check
'use strict';
// What the n8n node and the credential share: turning credential data into getToken params, n8n's
// request helper as getToken's fetch, and the safe view of a getToken error.

const { isLarkbaseError, isLarkbaseTokenError } = require('./index');

/**
 * @typedef {import('./index').TokenParams} TokenParams
 * @typedef {import('./index').FetchLike} FetchLike
 * @typedef {import('n8n-workflow').IHttpRequestOptions} IHttpRequestOptions
 * @typedef {{ appId?: unknown, appSecret?: unknown, domain?: unknown, baseUrl?: unknown, appType?: unknown,
 *   appTicket?: unknown, tenantKey?: unknown, verificationToken?: unknown, encryptKey?: unknown }} LarkbaseCredentialData
 */

/**
 * The `domain` param for a choice of 'lark', 'feishu' or 'custom' plus a base URL.
 *
 * @param {unknown} domain
 * @param {unknown} baseUrl
 * @returns {string | undefined}
 */
function domainParam(domain, baseUrl) {
  if (domain === 'custom') return typeof baseUrl === 'string' ? baseUrl : '';
  return typeof domain === 'string' && domain !== '' ? domain : undefined;
}

/**
 * @param {LarkbaseCredentialData} data the decrypted "Larkbase API" credential
 * @returns {TokenParams}
 */
function credentialParams(data) {
  return /** @type {TokenParams} */ ({
    appId: data.appId,
    appSecret: data.appSecret,
    domain: domainParam(data.domain, data.baseUrl),
    // A store app whose App Ticket is empty takes the newest one the Larkbase Trigger received.
    ...(data.appType === 'store' ? { appType: 'store' } : {}),
    ...storeAppParams(data.appType, data.appTicket, data.tenantKey),
  });
}

/**
 * A store app's app_ticket and tenant key; nothing for a self-built app. Empty values are left
 * out, so that a node's own fields can fall back to the credential's.
 *
 * @param {unknown} appType
 * @param {unknown} appTicket
 * @param {unknown} tenantKey
 * @returns {Partial<TokenParams>}
 */
function storeAppParams(appType, appTicket, tenantKey) {
  if (appType !== 'store') return {};
  /** @type {Partial<TokenParams>} */
  const store = {};
  if (typeof appTicket === 'string' && appTicket !== '') store.appTicket = appTicket;
  if (typeof tenantKey === 'string' && tenantKey !== '') store.tenantKey = tenantKey;
  return store;
}

/**
 * getToken's `fetch`, made of n8n's `httpRequest` helper so that n8n's proxy settings and request
 * policies apply. The body is asked for as a stream, so that the module counts the decoded bytes
 * as they come and stops at its cap (a text body would be decoded whole first, however large a
 * compressed answer grows). The helper's own errors hold the request, and so the secret: only
 * their system code passes on.
 *
 * @param {(options: IHttpRequestOptions) => Promise<any>} httpRequest
 * @returns {FetchLike}
 */
function httpRequestFetch(httpRequest) {
  return async (url, init) => {
    let response;
    try {
      response = await httpRequest({
        url,
        method: init.method,
        headers: init.headers,
        body: init.body,
        json: false,
        encoding: 'stream',
        returnFullResponse: true,
        ignoreHttpStatusErrors: true,
        disableFollowRedirect: true,
        abortSignal: init.signal,
      });
    } catch (error) {
      throw requestFailure(error);
    }
    const headers = /** @type {Record<string, unknown>} */ (response?.headers ?? {});
    return {
      status: Number(response?.statusCode),
      headers: {
        get: (name) => {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : String(value);
        },
      },
      ...bodyOf(response?.body),
    };
  };
}

/**
 * A fetch-like body: a Node stream read chunk by chunk through a minimal `getReader()`; anything
 * else (a helper that buffered the body) through `text()`.
 *
 * @param {unknown} body
 */
function bodyOf(body) {
  const stream = /** @type {{ [Symbol.asyncIterator]?: unknown, destroy?: () => void }} */ (body);
  if (typeof stream?.[Symbol.asyncIterator] !== 'function' || typeof body === 'string') {
    return { text: async () => bodyText(body) };
  }
  return {
    body: {
      getReader() {
        const chunks = /** @type {AsyncIterator<Uint8Array>} */ (
          /** @type {AsyncIterable<Uint8Array>} */ (stream)[Symbol.asyncIterator]()
        );
        return {
          read: () => chunks.next(),
          cancel: async () => {
            stream.destroy?.();
            await chunks.return?.();
          },
        };
      },
    },
  };
}

/** @param {unknown} body */
function bodyText(body) {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body === undefined || body === null) return '';
  // A helper that parsed JSON on its own gives an object back.
  return JSON.stringify(body);
}

/**
 * @param {unknown} error
 * @returns {Error}
 */
function requestFailure(error) {
  const source = /** @type {{ name?: unknown, code?: unknown, cause?: { code?: unknown } }} */ (error ?? {});
  const code = [source.cause?.code, source.code].find((c) => typeof c === 'string' && /^[A-Z0-9_]{1,40}$/.test(c));
  const failure = new Error('request failed');
  failure.name = source.name === 'AbortError' || source.name === 'TimeoutError' ? source.name : 'RequestError';
  return Object.assign(failure, { code });
}

/**
 * The fields of a getToken error that may be shown, saved and logged; anything else is reduced to
 * its message.
 *
 * @param {unknown} error
 */
function safeError(error) {
  if (isLarkbaseTokenError(error)) {
    const { message, code, hint, field, larkCode, larkMsg, httpStatus } = error;
    return { message, code, hint, field, larkCode, larkMsg, httpStatus };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    code: 'UNKNOWN',
    hint: '',
    field: undefined,
    larkCode: undefined,
    larkMsg: undefined,
    httpStatus: undefined,
  };
}

/**
 * The fields of a Lark Base error that may be shown, saved and logged: from a rejected call (a
 * `LarkbaseError`), an item's `error` in a call's result, or a token error; anything else is
 * reduced to its message.
 *
 * @param {unknown} error
 */
function safeBaseError(error) {
  const source = /** @type {Record<string, unknown>} */ (error ?? {});
  const plain = !(error instanceof Error) && typeof source.message === 'string' && typeof source.code === 'string';
  if (isLarkbaseError(error) || plain) {
    const text = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : undefined);
    const number = (/** @type {unknown} */ v) => (typeof v === 'number' ? v : undefined);
    return {
      message: String(source.message),
      code: String(source.code),
      hint: text(source.hint) ?? '',
      field: text(source.field),
      column: text(source.column),
      clientToken: text(source.clientToken),
      larkCode: number(source.larkCode),
      larkMsg: text(source.larkMsg),
      httpStatus: number(source.httpStatus),
    };
  }
  return { ...safeError(error), column: undefined, clientToken: undefined };
}

/**
 * The error n8n shows and saves for a failed item: a NodeOperationError when the workflow must fix
 * something (`workflowCodes`), a NodeApiError for anything that came from Lark or the network. Both
 * are built from the safe fields only, because n8n saves errors with the execution. n8n brings
 * n8n-workflow; it is required here, not at the top, so that the library never needs it.
 *
 * @param {import('n8n-workflow').INode} node
 * @param {{ message: string, code: string, hint: string, larkCode?: number, larkMsg?: string, httpStatus?: number }} safe
 * @param {number} itemIndex
 * @param {string[]} workflowCodes
 */
function nodeError(node, safe, itemIndex, workflowCodes) {
  const { NodeApiError, NodeOperationError } = require('n8n-workflow');
  if (workflowCodes.includes(safe.code)) {
    return new NodeOperationError(node, safe.message, { itemIndex, description: safe.hint });
  }
  /** @type {import('n8n-workflow').JsonObject} */
  const response = { message: safe.message, code: safe.code };
  if (safe.larkCode !== undefined) response.larkCode = safe.larkCode;
  if (safe.larkMsg !== undefined) response.larkMsg = safe.larkMsg;
  if (safe.httpStatus !== undefined) response.httpStatus = safe.httpStatus;
  return new NodeApiError(node, response, {
    itemIndex,
    message: safe.message,
    description: safe.hint,
    httpCode: safe.httpStatus === undefined ? undefined : String(safe.httpStatus),
  });
}

module.exports = { credentialParams, domainParam, httpRequestFetch, nodeError, safeBaseError, safeError, storeAppParams };
