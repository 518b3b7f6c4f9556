// @ts-check
'use strict';

/** @type {typeof import('../pkg/larkbase_get_token') | undefined} */
let core;

/** The wasm module is compiled on the first call, so that requiring the package stays cheap. */
function loadCore() {
  return (core ??= require('../pkg/larkbase_get_token.js'));
}

/**
 * Gets a tenant or app access token for a Lark / Feishu self-built app.
 *
 * @param {import('./index').TokenParams} params
 * @returns {Promise<import('./index').TokenResult>} rejects with a `LarkbaseTokenError`
 */
function getToken(params) {
  try {
    return loadCore().getToken(params);
  } catch (error) {
    // Only a broken install (a missing or corrupt .wasm) gets here; keep the promise contract.
    return Promise.reject(error);
  }
}

/**
 * Asks Lark to push a store app's app_ticket again; the ticket arrives as an `app_ticket` event.
 *
 * @param {import('./index').TokenParams} params
 * @returns {Promise<import('./index').ResendResult>} rejects with a `LarkbaseTokenError`
 */
function resendAppTicket(params) {
  try {
    return loadCore().resendAppTicket(params);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Empties the token cache. Loads nothing when the module was never used, as the cache is empty then. */
function clearTokenCache() {
  core?.clearTokenCache();
}

/**
 * Tells a getToken rejection apart from other errors, narrowing its type in TypeScript.
 *
 * @param {unknown} error
 * @returns {error is import('./index').LarkbaseTokenError}
 */
function isLarkbaseTokenError(error) {
  return error instanceof Error && error.name === 'LarkbaseTokenError';
}

/**
 * One Lark Base call: `operation` is `listTables`, `listFields`, `search`, `get`, `create`,
 * `update`, `delete` or `upsert`. The params are copied as JSON first (dates, n8n's DateTime too,
 * become ISO strings), so that what reaches the core is plain data; `fetch` is kept as it is.
 *
 * @param {string} operation
 * @param {import('./index').BaseParams | import('./index').UpsertParams | import('./index').SearchParams} params
 * @returns {Promise<unknown>} rejects with a `LarkbaseError`
 */
function larkbaseCall(operation, params) {
  try {
    const { fetch, credential, ...rest } = params ?? {};
    let plain;
    let plainCredential;
    try {
      plain = JSON.parse(JSON.stringify(rest));
      plainCredential = credential === undefined ? undefined : JSON.parse(JSON.stringify(credential));
    } catch {
      return Promise.reject(
        baseError('params could not be copied as JSON (a cycle, a BigInt or a getter that throws)', 'params'),
      );
    }
    return loadCore().larkbase(operation, plain, plainCredential, fetch);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** @param {string} message @param {string} field */
function baseError(message, field) {
  const error = new Error(message);
  error.name = 'LarkbaseError';
  return Object.assign(error, { code: 'INVALID_PARAMS', field, hint: 'fix this parameter and try again', attempts: 0 });
}

/** @param {import('./index').BaseParams} params */
const listTables = (params) => larkbaseCall('listTables', params);
/** @param {import('./index').BaseParams} params */
const listFields = (params) => larkbaseCall('listFields', params);
/** @param {import('./index').SearchParams} params */
const searchRecords = (params) => larkbaseCall('search', params);
/** @param {import('./index').RowParams} params */
const getRecords = (params) => larkbaseCall('get', params);
/** @param {import('./index').WriteParams} params */
const createRecords = (params) => larkbaseCall('create', params);
/** @param {import('./index').WriteParams} params */
const updateRecords = (params) => larkbaseCall('update', params);
/** @param {import('./index').RowParams} params */
const deleteRecords = (params) => larkbaseCall('delete', params);
/** @param {import('./index').UpsertParams} params */
const upsertRecords = (params) => larkbaseCall('upsert', params);

/**
 * Tells a Lark Base call's rejection apart from other errors.
 *
 * @param {unknown} error
 * @returns {error is import('./index').LarkbaseError}
 */
function isLarkbaseError(error) {
  return error instanceof Error && error.name === 'LarkbaseError';
}

module.exports = {
  getToken,
  resendAppTicket,
  clearTokenCache,
  isLarkbaseTokenError,
  larkbaseCall,
  listTables,
  listFields,
  searchRecords,
  getRecords,
  createRecords,
  updateRecords,
  deleteRecords,
  upsertRecords,
  isLarkbaseError,
};
