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

module.exports = { getToken, resendAppTicket, clearTokenCache, isLarkbaseTokenError };
