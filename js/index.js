// @ts-check
'use strict';
// The Node.js entry, over two WebAssembly modules: the token module (getToken), and the Lark Base
// module (the Larkbase node's calls), which only its users load and which gets its tokens from
// the token module, so that both share one cache. The entry does what the modules cannot do for
// themselves:
// - it copies the caller's params into plain values before a module reads them, because reading a
//   getter or a proxy can throw, and a throw inside the module's own reads would escape;
// - it keeps Node's event loop alive while any call is pending (the modules' timers do not), with
//   one message port for all calls;
// - it replaces an instance that trapped (a `WebAssembly.RuntimeError`): every call pending on it
//   is rejected with a typed error and the next call gets a fresh instance (its state is lost).

/** @typedef {import('./index').TokenParams} TokenParams */
/** @typedef {import('./index').TokenResult} TokenResult */
/** @typedef {import('./index').ResendResult} ResendResult */
/** @typedef {ReturnType<typeof import('../pkg/larkbase_get_token').instantiate>} TokenCore */
/** @typedef {ReturnType<typeof import('../pkg/larkbase_base').instantiate>} BaseCore */
/**
 * One module: how to load it, the name of its errors, its current instance, and the reject
 * functions of the calls pending on that instance, for when it breaks.
 *
 * @template Core
 * @typedef {{ load: () => { instantiate(onTrap: (error: unknown) => void): Core }, errorName: string,
 *   core: Core | undefined, pending: Set<(error: unknown) => void> }} Slot
 */

/** The params fields the module reads; `fetch` is handed over on its own. */
const FIELDS = ['appId', 'appSecret', 'tokenType', 'domain', 'timeoutMs', 'appTicket', 'tenantKey', 'cache', 'maxAttempts', 'deadlineMs', 'appType'];
/** Strings longer than this are not copied into the module; it reports them as too long. */
const MAX_INPUT_CHARS = 4096;

/** @type {Slot<TokenCore>} */
const tokenModule = { load: () => require('../pkg/larkbase_get_token.js'), errorName: 'LarkbaseTokenError', core: undefined, pending: new Set() };
/** @type {Slot<BaseCore>} */
const baseModule = { load: () => require('../pkg/larkbase_base.js'), errorName: 'LarkbaseError', core: undefined, pending: new Set() };

/**
 * A module's instance. Modules are compiled on their first call, so that requiring the package
 * stays cheap.
 *
 * @template Core
 * @param {Slot<Core>} slot
 * @returns {Core}
 */
function instance(slot) {
  if (slot.core === undefined) {
    const fresh = slot.load().instantiate((error) => broken(slot, fresh, error));
    slot.core = fresh;
    slot.pending = new Set();
  }
  return slot.core;
}

/**
 * Gets a tenant or app access token for a Lark / Feishu app, from the cache while it is good.
 *
 * @param {TokenParams} params
 * @returns {Promise<TokenResult>} rejects with a `LarkbaseTokenError`
 */
function getToken(params) {
  const input = snapshot(params);
  /** @type {TokenCore | undefined} */
  let current;
  try {
    current = instance(tokenModule);
    const hit = current.cachedToken(input.params);
    if (hit !== undefined) return Promise.resolve(tokenResult(hit));
  } catch (error) {
    return Promise.reject(current ? broken(tokenModule, current, error) : error);
  }
  const core = current;
  return track(tokenModule, core, () => core.getToken(input.params, input.fetch)).then(tokenResult);
}

/**
 * Asks Lark to push a store app's app_ticket again; the ticket arrives as an `app_ticket` event.
 *
 * @param {TokenParams} params
 * @returns {Promise<ResendResult>} rejects with a `LarkbaseTokenError`
 */
function resendAppTicket(params) {
  const input = snapshot(params);
  /** @type {TokenCore} */
  let core;
  try {
    core = instance(tokenModule);
  } catch (error) {
    return Promise.reject(error);
  }
  return track(tokenModule, core, () => core.resendAppTicket(input.params, input.fetch)).then(([code, msg, url]) => ({
    request: { url },
    response: { code, msg },
  }));
}

/** Empties the token cache. Loads nothing when the module was never used, as the cache is empty then. */
function clearTokenCache() {
  tokenModule.core?.clearTokenCache();
}

/** Bytes of the token module's WebAssembly memory, 0 before the first call: a diagnostic. */
function wasmMemoryBytes() {
  return tokenModule.core?.wasmMemoryBytes() ?? 0;
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

/** @param {import('../pkg/larkbase_get_token').TokenTuple} tuple @returns {TokenResult} */
function tokenResult([accessToken, expiresIn, tokenType, url, msg]) {
  return { access_token: accessToken, expires_in: expiresIn, token_type: tokenType, request: { url }, response: { code: 0, msg } };
}

/**
 * The caller's params as plain values: strings, numbers, booleans, null and undefined as they
 * are, anything else as `{ kind }`, and `{ unreadable: field }` if reading a field threw.
 *
 * @param {unknown} params
 * @returns {{ params: unknown, fetch: unknown }}
 */
function snapshot(params) {
  if (typeof params !== 'object' || params === null) return { params, fetch: undefined };
  const source = /** @type {Record<string, unknown>} */ (params);
  /** @type {Record<string, unknown>} */
  const plain = {};
  let field = FIELDS[0];
  try {
    for (field of FIELDS) {
      const value = source[field];
      // Absent fields are left out: the module reads fewer of them.
      if (value !== undefined) plain[field] = plainValue(value);
    }
    field = 'fetch';
    return { params: plain, fetch: source.fetch };
  } catch {
    return { params: { unreadable: field }, fetch: undefined };
  }
}

/** @param {unknown} value */
function plainValue(value) {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_INPUT_CHARS ? { kind: 'long' } : value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'object':
      return value === null ? null : { kind: Array.isArray(value) ? 'array' : 'object' };
    default:
      return { kind: typeof value };
  }
}

/**
 * Runs an async call of a module with Node kept alive, and settles it even if the instance
 * breaks before the call does.
 *
 * @template Core, T
 * @param {Slot<Core>} slot
 * @param {Core} core
 * @param {() => Promise<T>} call
 * @returns {Promise<T>}
 */
function track(slot, core, call) {
  const pending = slot.pending;
  return new Promise((resolve, reject) => {
    let settled = false;
    /** @param {() => void} settle */
    const once = (settle) => {
      if (settled) return;
      settled = true;
      pending.delete(fail);
      keepAlive.release();
      settle();
    };
    /** @param {unknown} error */
    const fail = (error) => once(() => reject(error));
    keepAlive.hold();
    pending.add(fail);
    try {
      call().then(
        (value) => once(() => resolve(value)),
        (error) => fail(error instanceof WebAssembly.RuntimeError ? broken(slot, core, error) : error),
      );
    } catch (error) {
      fail(broken(slot, core, error));
    }
  });
}

/**
 * Retires an instance that threw or trapped: nothing that was pending on it can settle any more,
 * so each such call is rejected now, and the next call gets a fresh instance. What it threw is
 * not passed on: its message could quote anything.
 *
 * @template Core
 * @param {Slot<Core>} slot
 * @param {Core} broke
 * @param {unknown} _thrown
 */
function broken(slot, broke, _thrown) {
  const error = internalError(slot.errorName);
  if (broke === slot.core) {
    slot.core = undefined;
    const failed = slot.pending;
    slot.pending = new Set();
    for (const fail of failed) fail(error);
  }
  return error;
}

/**
 * The module's own error for this case, made here because the module can no longer make it.
 *
 * @param {string} name
 */
function internalError(name) {
  const error = new Error('the module failed unexpectedly and was restarted; its state (the token cache) is empty');
  error.name = name;
  return Object.assign(error, {
    code: 'INTERNAL_ERROR',
    hint: 'retry; if it keeps failing, report it with the steps that lead to it',
    attempts: 0,
  });
}

/**
 * Keeps Node's event loop running while a call is pending: the module's timers are
 * `AbortSignal.timeout`s, which do not (and n8n's scanner rules out setTimeout), so without this a
 * script whose only work is a getToken call could exit mid-wait and lose the result. One message
 * port with a listener serves all calls: referenced while any is pending, unreferenced (or, where
 * a runtime has no `unref`, closed) when none is.
 */
const keepAlive = {
  count: 0,
  /** @type {MessagePort | undefined} */
  port: undefined,
  hold() {
    if (this.count++ > 0) return;
    if (this.port === undefined) {
      this.port = new MessageChannel().port1;
      this.port.onmessage = () => {};
    }
    /** @type {{ ref?: () => void }} */ (this.port).ref?.();
  },
  release() {
    if (--this.count > 0 || this.port === undefined) return;
    const port = /** @type {MessagePort & { unref?: () => void }} */ (this.port);
    if (typeof port.unref === 'function') {
      port.unref();
    } else {
      port.close();
      this.port = undefined;
    }
  },
};

/**
 * One Lark Base call: `operation` is `listTables`, `listFields`, `search`, `get`, `create`,
 * `update`, `delete` or `upsert`. The params are copied as JSON before the module reads them (so
 * that a getter, a proxy or a cycle fails here, as a typed error; dates, n8n's DateTime too,
 * become ISO strings). A credential stays here: the Lark Base module asks for a token before each
 * request, and getToken answers from the shared cache (or from Lark when asked to renew).
 *
 * @param {string} operation
 * @param {import('./index').BaseParams | import('./index').UpsertParams | import('./index').SearchParams} params
 * @returns {Promise<unknown>} rejects with a `LarkbaseError`
 */
function larkbaseCall(operation, params) {
  let input;
  try {
    const { fetch, credential, ...rest } = /** @type {Record<string, unknown>} */ (params ?? {});
    input = {
      params: JSON.parse(JSON.stringify(rest)),
      credential: credential === undefined || credential === null ? undefined : snapshot(credential).params,
      fetch,
    };
  } catch {
    return Promise.reject(baseError('params could not be copied as JSON (a cycle, a BigInt or a getter that throws)', 'params'));
  }
  const credential = /** @type {Record<string, unknown> | undefined} */ (input.credential);
  if (typeof credential?.unreadable === 'string') {
    return Promise.reject(baseError(`credential.${credential.unreadable} could not be read`, `credential.${credential.unreadable}`));
  }
  const tokens =
    credential === undefined
      ? undefined
      : (/** @type {boolean} */ renew) =>
          getToken(/** @type {TokenParams} */ ({ ...credential, fetch: input.fetch, cache: !renew })).then((token) => token.access_token);
  const domain = typeof credential?.domain === 'string' ? credential.domain : undefined;
  /** @type {BaseCore} */
  let core;
  try {
    core = instance(baseModule);
  } catch (error) {
    return Promise.reject(error);
  }
  return track(baseModule, core, () => core.larkbase(operation, input.params, tokens, domain, input.fetch));
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

// ---------------------------------------------------------------------------------------------
// The Larkbase Trigger's calls (Lark's events, polling, the subscription to a base) and the
// store-app ticket store they feed. The Lark Base module judges and converts; the app_ticket goes
// to the token module, where getToken finds it.

/**
 * Keeps a store app's app_ticket, as Lark pushed it, as the app's newest: store-app calls given no
 * ticket use it (process-wide).
 *
 * @param {{ appId: string, appTicket: string, domain?: string }} params
 */
function rememberAppTicket(params) {
  const input = snapshot(params);
  instance(tokenModule).rememberAppTicket(input.params);
}

/** The largest request body handleLarkEvent takes, in bytes; larger ones are answered 413 by it. */
function maxEventBodyBytes() {
  return instance(baseModule).maxEventBodyBytes();
}

/**
 * One request to the trigger's Request URL: the raw body, Lark's headers and the node's settings
 * in `input`, and the credential for the Lark Base calls a record event may need (its columns, its
 * records). Resolves to how to answer and what to start; the body is never copied when too large.
 *
 * @param {Uint8Array} body
 * @param {Record<string, unknown>} input
 * @param {import('./index').TokenParams} credential
 * @param {import('./index').FetchLike} [fetch]
 * @returns {Promise<import('./index').EventOutcome>}
 */
function handleLarkEvent(body, input, credential, fetch) {
  let plain;
  try {
    plain = JSON.parse(JSON.stringify(input ?? {}));
  } catch {
    return Promise.reject(baseError('the request could not be copied as JSON', 'event'));
  }
  const tokens = credentialTokens(credential, fetch);
  if (tokens instanceof Error) return Promise.reject(tokens);
  if (!(body instanceof Uint8Array) || body.length > maxEventBodyBytes()) {
    return Promise.resolve(/** @type {import('./index').EventOutcome} */ ({
      status: 413, answer: { code: 413, msg: 'payload too large' }, kind: 'tooLarge', items: [],
    }));
  }
  const core = instance(baseModule);
  return track(baseModule, core, () => core.larkbaseEvent(body, plain, tokens.provider, tokens.domain, fetch));
}

/**
 * One poll of a table by a Created time or Last modified time column: `params` as a Lark Base
 * call's, plus `column`, `filter`, `position` and `manual`.
 *
 * @param {import('./index').PollParams} params
 * @returns {Promise<import('./index').PollOutcome>}
 */
const pollTable = (params) => triggerCall('larkbasePoll', params);
/**
 * Subscribes the credential's app to the base in `params.base`, so that Lark sends its record events.
 *
 * @param {import('./index').BaseParams} params
 * @returns {Promise<void>}
 */
const subscribeBase = (params) => triggerCall('larkbaseSubscribe', params);
/**
 * The table's columns a poll can go by: `[{ name, type }]`.
 *
 * @param {import('./index').BaseParams} params
 * @returns {Promise<Array<{ name: string, type: number }>>}
 */
const triggerColumns = (params) => triggerCall('larkbaseTriggerColumns', params);

/**
 * A call of the trigger's exports, as larkbaseCall makes the Larkbase node's: params copied as
 * JSON, the credential kept here as a token provider.
 *
 * @param {'larkbasePoll' | 'larkbaseSubscribe' | 'larkbaseTriggerColumns'} name
 * @param {Record<string, any>} params
 * @returns {Promise<any>}
 */
function triggerCall(name, params) {
  let input;
  try {
    const { fetch, credential, ...rest } = /** @type {Record<string, unknown>} */ (params ?? {});
    input = { params: JSON.parse(JSON.stringify(rest)), credential, fetch };
  } catch {
    return Promise.reject(baseError('params could not be copied as JSON (a cycle, a BigInt or a getter that throws)', 'params'));
  }
  const tokens = input.credential === undefined || input.credential === null ? { provider: undefined, domain: undefined } : credentialTokens(input.credential, input.fetch);
  if (tokens instanceof Error) return Promise.reject(tokens);
  /** @type {BaseCore} */
  let core;
  try {
    core = instance(baseModule);
  } catch (error) {
    return Promise.reject(error);
  }
  return track(baseModule, core, () => /** @type {any} */ (core)[name](input.params, tokens.provider, tokens.domain, input.fetch));
}

/**
 * A credential as the Lark Base module takes it: a token provider over getToken's cache and the
 * credential's domain; an Error when a field cannot be read.
 *
 * @param {unknown} credential
 * @param {unknown} fetch
 */
function credentialTokens(credential, fetch) {
  const plain = /** @type {Record<string, unknown>} */ (snapshot(credential).params ?? {});
  if (typeof plain.unreadable === 'string') return baseError(`credential.${plain.unreadable} could not be read`, `credential.${plain.unreadable}`);
  return {
    provider: (/** @type {boolean} */ renew) =>
      getToken(/** @type {TokenParams} */ ({ ...plain, fetch, cache: !renew })).then((token) => token.access_token),
    domain: typeof plain.domain === 'string' ? plain.domain : undefined,
  };
}

module.exports = {
  getToken,
  rememberAppTicket,
  maxEventBodyBytes,
  handleLarkEvent,
  pollTable,
  subscribeBase,
  triggerColumns,
  resendAppTicket,
  clearTokenCache,
  isLarkbaseTokenError,
  wasmMemoryBytes,
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
