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
// - it replaces an instance that trapped (a `WebAssembly.RuntimeError`): calls that are safe to
//   repeat (tokens, reads) run again on a fresh one, writes get a per-row outcome from the journal
//   the module kept for them, and the token cache is re-seeded from the copy kept here;
// - it replaces an idle instance whose memory grew large (WebAssembly memory never shrinks), so
//   that one large call does not hold memory for the life of the process.

/** @typedef {import('./index').TokenParams} TokenParams */
/** @typedef {import('./index').TokenResult} TokenResult */
/** @typedef {import('./index').ResendResult} ResendResult */
/** @typedef {ReturnType<typeof import('../pkg/larkbase_get_token').instantiate>} TokenCore */
/** @typedef {ReturnType<typeof import('../pkg/larkbase_base').instantiate>} BaseCore */
/**
 * One module: how to load it, the name of its errors, its current instance, the reject functions
 * of the calls pending on that instance (for when it breaks), and what a fresh instance takes over
 * from the one before (`carry` is asked when an idle instance is retired, `seed` given each new one).
 *
 * @template Core
 * @typedef {{ load: () => { instantiate(onTrap: (error: unknown) => void): Core }, errorName: string,
 *   core: Core | undefined, pending: Set<(error: unknown) => void>, carry: (core: Core) => void,
 *   seed: (core: Core) => void }} Slot
 */

/** The params fields the module reads; `fetch` is handed over on its own. */
const FIELDS = ['appId', 'appSecret', 'tokenType', 'domain', 'timeoutMs', 'appTicket', 'tenantKey', 'cache', 'maxAttempts', 'deadlineMs', 'appType'];
/** Strings longer than this are not copied into the module; it reports them as too long. */
const MAX_INPUT_CHARS = 4096;
/** Lark Base rows per call. */
const MAX_ROWS = 100_000;
/** A cell's JSON: Lark's longest text cell is 100,000 characters. Larger cells are not copied in. */
const MAX_CELL_CHARS = 1 << 20;
/** A call's params as JSON, rows included. */
const MAX_PARAMS_CHARS = 64 << 20;
/** Any one of a call's params other than its rows, as JSON: a filter, the sort, the keys. */
const MAX_FIELD_CHARS = 1 << 20;
/** An idle instance whose memory grew past this is replaced by a fresh one. */
const MAX_IDLE_MEMORY_BYTES = 64 << 20;
/** Tokens kept in the copy of the cache (the module's own cache holds as many). */
const MIRRORED_TOKENS = 1000;
/** What replaces an error's text that held the App Secret. */
const WITHHELD = '(withheld: it held the access token or the App Secret)';

/**
 * The token cache as the entry keeps a copy of it, key by key: an instance that breaks or is
 * retired takes its cache with it, and the next one is seeded from this copy.
 */
const tokenMirror = {
  /** @type {Map<string, import('../pkg/larkbase_get_token').CacheEntry>} */
  entries: new Map(),
  /** The module's cache clock this copy is up to date with. */
  clock: 0,
  /** @param {TokenCore} core */
  sync(core) {
    const [clock, ...flat] = core.cacheChanges(this.clock);
    for (let at = 0; at + 4 < flat.length; at += 5) {
      const entry = /** @type {import('../pkg/larkbase_get_token').CacheEntry} */ (flat.slice(at, at + 5));
      this.entries.delete(entry[0]);
      this.entries.set(entry[0], entry);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MIRRORED_TOKENS) break;
      this.entries.delete(key);
    }
    this.clock = /** @type {number} */ (clock);
  },
};

/** @type {Slot<TokenCore>} */
const tokenModule = {
  load: () => require('../pkg/larkbase_get_token.js'),
  errorName: 'LarkbaseTokenError',
  core: undefined,
  pending: new Set(),
  carry: (core) => tokenMirror.sync(core),
  seed: (core) => {
    tokenMirror.clock = 0;
    if (tokenMirror.entries.size > 0) core.restoreCache([...tokenMirror.entries.values()]);
  },
};

/** The pace of each app's Lark Base calls, carried from a retired instance to the next. */
let carriedPace = /** @type {import('../pkg/larkbase_base').PaceLane[]} */ ([]);
/** The trigger's events handled, carried likewise: a retry of one must not run again. */
let carriedEvents = '';
/** @type {Slot<BaseCore>} */
const baseModule = {
  load: () => require('../pkg/larkbase_base.js'),
  errorName: 'LarkbaseError',
  core: undefined,
  pending: new Set(),
  carry: (core) => {
    carriedPace = core.paceLanes();
    carriedEvents = core.handledEvents();
  },
  seed: (core) => {
    if (carriedPace.length > 0) core.restorePace(carriedPace);
    if (carriedEvents !== '') core.restoreHandledEvents(carriedEvents);
    carriedPace = [];
    carriedEvents = '';
  },
};

/** Errors made here for a call whose instance broke: those calls may be run again. */
const brokeUnder = new WeakSet();
/** Instances that broke: what still runs on one may send nothing more (see `fenced`). */
const dead = new WeakSet();

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
    slot.seed(fresh);
    slot.core = fresh;
    slot.pending = new Set();
  }
  return slot.core;
}

/**
 * Runs a call of a module, and once more on a fresh instance if the instance broke under it: for
 * calls that are safe to repeat (tokens, reads). `recover` decides for the others.
 *
 * @template Core, T
 * @param {Slot<Core>} slot
 * @param {(core: Core) => Promise<T>} call
 * @param {(error: unknown) => T | Promise<T>} [recover] for a call whose instance broke
 * @returns {Promise<T>}
 */
function run(slot, call, recover) {
  const once = () => {
    /** @type {Core} */
    let core;
    try {
      core = instance(slot);
    } catch (error) {
      return Promise.reject(error);
    }
    return track(slot, core, () => call(core));
  };
  return once().catch((error) => {
    if (!brokeUnder.has(/** @type {object} */ (error))) throw error;
    return recover ? recover(error) : once();
  });
}

/**
 * Gets a tenant or app access token for a Lark / Feishu app, from the cache while it is good.
 *
 * @param {TokenParams} params
 * @returns {Promise<TokenResult>} rejects with a `LarkbaseTokenError`
 */
function getToken(params) {
  const input = snapshot(params);
  for (let tries = 0; tries < 2; tries++) {
    /** @type {TokenCore | undefined} */
    let core;
    try {
      core = instance(tokenModule);
      const hit = core.cachedToken(input.params);
      if (hit !== undefined) return Promise.resolve(tokenResult(hit));
      break;
    } catch (error) {
      // A trap in the cache lookup: once more, on a fresh instance.
      if (core === undefined || tries > 0) return Promise.reject(core ? broken(tokenModule, core, error) : error);
      broken(tokenModule, core, error);
    }
  }
  return run(tokenModule, (core) => core.getToken(input.params, input.fetch).finally(() => tokenMirror.sync(core))).then(tokenResult);
}

/**
 * Asks Lark to push a store app's app_ticket again; the ticket arrives as an `app_ticket` event.
 *
 * @param {TokenParams} params
 * @returns {Promise<ResendResult>} rejects with a `LarkbaseTokenError`
 */
function resendAppTicket(params) {
  const input = snapshot(params);
  return run(tokenModule, (core) => core.resendAppTicket(input.params, input.fetch)).then(([code, msg, url]) => ({
    request: { url },
    response: { code, msg },
  }));
}

/** Empties the token cache. Loads nothing when the module was never used, as the cache is empty then. */
function clearTokenCache() {
  tokenModule.core?.clearTokenCache();
  tokenMirror.entries.clear();
  tokenMirror.clock = 0;
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
      retireIfLarge(slot, core);
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
  dead.add(/** @type {object} */ (broke));
  const error = internalError(slot.errorName);
  brokeUnder.add(error);
  if (broke === slot.core) {
    slot.core = undefined;
    const failed = slot.pending;
    slot.pending = new Set();
    for (const fail of failed) fail(error);
  }
  return error;
}

/**
 * Replaces an instance that no call is using any more once its memory grew past the cap:
 * WebAssembly memory never shrinks, so a large call would otherwise keep it for good. What the
 * next instance needs (the token cache, the pace of each app) is carried over.
 *
 * @template Core
 * @param {Slot<Core>} slot
 * @param {Core} core
 */
function retireIfLarge(slot, core) {
  if (core !== slot.core || slot.pending.size > 0) return;
  const bytes = /** @type {{ wasmMemoryBytes(): number }} */ (/** @type {unknown} */ (core)).wasmMemoryBytes();
  if (bytes <= MAX_IDLE_MEMORY_BYTES) return;
  try {
    slot.carry(core);
  } finally {
    slot.core = undefined;
  }
}

/**
 * The module's own error for this case, made here because the module can no longer make it.
 *
 * @param {string} name
 */
function internalError(name) {
  const error = new Error('the module failed unexpectedly and was restarted');
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
 * become ISO strings), and what is too large is left out of the copy: a call of more than 100,000
 * rows or 64 MiB is refused, and a cell over 1 MiB fails its row. A credential stays here: the
 * module asks for a token before each request, and getToken answers from the shared cache (or
 * from Lark when asked to renew); no text of the result or error may hold its App Secret.
 *
 * @param {string} operation
 * @param {import('./index').BaseParams | import('./index').UpsertParams | import('./index').SearchParams} params
 * @returns {Promise<unknown>} rejects with a `LarkbaseError`
 */
function larkbaseCall(operation, params) {
  let input;
  try {
    input = copyBaseParams(params);
  } catch (error) {
    return Promise.reject(isLarkbaseError(error) ? error : baseError('params could not be copied as JSON (a cycle, a BigInt or a getter that throws)', 'params'));
  }
  const { copy, credential, fetch, rows } = input;
  /** @type {Map<number, string | undefined>} each item the module sent in a write, and the client token of its batch */
  const sent = new Map();
  const host = baseHost(credential, fetch);
  host.journal = (items, clientToken) => {
    for (const item of items) sent.set(item, clientToken);
  };
  const writes = ['create', 'update', 'delete', 'upsert'].includes(operation);
  // A read is run again on a fresh instance if this one breaks; a write is not, since some of its
  // batches may have been applied: each row gets what the journal knows of it instead.
  const recover = writes ? () => ({ items: rowsAfterBreak(rows, sent) }) : undefined;
  // Params and results cross as JSON text, which the module reads and writes far faster than it
  // walks JS objects.
  return withheld(credential, run(baseModule, (core) => core.larkbase(operation, copy, fenced(host, core)).then((json) => JSON.parse(json)), recover));
}

/**
 * What the Lark Base module is handed besides the params: the caller's fetch and, for a
 * credential, a token provider over getToken's cache, its domain, and who the app is (its calls
 * are paced together).
 *
 * @param {Record<string, unknown> | undefined} credential
 * @param {unknown} fetch
 * @returns {import('../pkg/larkbase_base').LarkbaseHost}
 */
function baseHost(credential, fetch) {
  /** @type {import('../pkg/larkbase_base').LarkbaseHost} */
  const host = { fetch: /** @type {any} */ (fetch) };
  if (credential === undefined) return host;
  // Ends within what is left of the call's deadline: a token request left running would outlive it.
  host.tokens = (renew, withinMs) => {
    const deadlineMs = Math.max(1, Math.min(withinMs, 600_000));
    const timeoutMs = Math.min(deadlineMs, 300_000, typeof credential.timeoutMs === 'number' ? credential.timeoutMs : 10_000);
    const params = { ...credential, fetch, cache: !renew, deadlineMs, timeoutMs };
    return getToken(/** @type {TokenParams} */ (params)).then((token) => token.access_token);
  };
  host.domain = typeof credential.domain === 'string' ? credential.domain : undefined;
  host.app = `${String(credential.appId)} ${String(credential.domain ?? 'lark')}`;
  return host;
}

/**
 * `host` for a call on `core`, fenced: once `core` has broken, the call's outcome has been given
 * (rows of batches not sent yet are NOT_SENT), so what still runs on it may send nothing more.
 *
 * @param {import('../pkg/larkbase_base').LarkbaseHost} host
 * @param {object} core
 * @returns {import('../pkg/larkbase_base').LarkbaseHost}
 */
function fenced(host, core) {
  // A fetch that is no function is refused by the module before anything is sent.
  if (host.fetch !== undefined && host.fetch !== null && typeof host.fetch !== 'function') return host;
  const refused = () => Promise.reject(new Error('the instance this call ran on was retired'));
  const send = /** @type {Function | undefined} */ (host.fetch) ?? fetch;
  return {
    ...host,
    fetch: (/** @type {unknown} */ url, /** @type {unknown} */ init) => (dead.has(core) ? refused() : send(url, init)),
    tokens: host.tokens && ((renew, withinMs) => (dead.has(core) ? refused() : /** @type {Function} */ (host.tokens)(renew, withinMs))),
    journal: host.journal && ((items, clientToken) => dead.has(core) || /** @type {Function} */ (host.journal)(items, clientToken)),
  };
}

/**
 * `call`'s result or error with every text that holds the credential's App Secret withheld.
 *
 * @template T
 * @param {Record<string, unknown> | undefined} credential
 * @param {Promise<T>} call
 * @returns {Promise<T>}
 */
function withheld(credential, call) {
  if (credential === undefined) return call;
  const withholder = secretWithholder(credential);
  return call.then(
    (result) => withholder.inResult(result),
    (error) => {
      throw withholder.inError(error);
    },
  );
}

/**
 * The params of a Lark Base call as the module reads them: JSON text with what is too large left
 * out (see `larkbaseCall`), the credential as plain values, and the caller's fetch and rows.
 *
 * @param {unknown} params
 */
function copyBaseParams(params) {
  const { fetch, credential, rows, ...rest } = /** @type {Record<string, unknown>} */ (params ?? {});
  const plain = credentialCopy(credential);
  // Read once: a proxy's length may change, and an array's own iterator may yield more.
  const count = Array.isArray(rows) ? Number(rows.length) : 0;
  if (count > MAX_ROWS) {
    throw baseError(`rows has more than ${MAX_ROWS} rows: send them in several calls`, 'rows');
  }
  // Refused before anything of it is copied: a huge object would be copied whole only to be refused.
  if (rows !== undefined && rows !== null && !Array.isArray(rows)) {
    throw baseError('rows must be a list of { fields, recordId } objects, one per item', 'rows');
  }
  const fields = [];
  for (const [field, value] of Object.entries(rest)) {
    if (typeof value === 'string' && value.length > MAX_INPUT_CHARS) throw baseError(`${field} is longer than ${MAX_INPUT_CHARS} characters`, field);
    const json = JSON.stringify(value);
    if (json === undefined) continue;
    if (json.length > MAX_FIELD_CHARS) throw baseError(`${field} comes to more than ${MAX_FIELD_CHARS >> 20} MiB as JSON`, field);
    fields.push(`${JSON.stringify(field)}:${json}`);
  }
  const head = `{${fields.join(',')}}`;
  const parts = [head.slice(0, -1)];
  let chars = head.length;
  if (Array.isArray(rows)) {
    const copiedRows = [];
    for (let at = 0; at < count; at++) {
      const json = rowJson(rows[at]);
      chars += json.length + 1;
      if (chars > MAX_PARAMS_CHARS) break;
      copiedRows.push(json);
    }
    parts.push(`${head.length > 2 ? ',' : ''}"rows":[${copiedRows.join(',')}]`);
  }
  if (chars > MAX_PARAMS_CHARS) {
    throw baseError(`params come to more than ${MAX_PARAMS_CHARS >> 20} MiB as JSON: send the rows in several calls`, 'params');
  }
  return {
    copy: `${parts.join('')}}`,
    credential: /** @type {Record<string, unknown> | undefined} */ (plain),
    fetch,
    rows: Array.isArray(rows) ? Array.prototype.slice.call(rows, 0, count) : [],
  };
}

/**
 * The credential's token params as plain values; throws a `LarkbaseError` for a field that cannot
 * be read.
 *
 * @param {unknown} credential
 * @returns {Record<string, unknown> | undefined}
 */
function credentialCopy(credential) {
  if (credential === undefined || credential === null) return undefined;
  const plain = /** @type {Record<string, unknown>} */ (snapshot(credential).params);
  if (typeof plain.unreadable === 'string') {
    throw baseError(`credential.${plain.unreadable} could not be read`, `credential.${plain.unreadable}`);
  }
  return plain;
}

/**
 * One row as JSON, each cell copied on its own: a cell over `MAX_CELL_CHARS` (or whose name is over
 * `MAX_INPUT_CHARS`) is left out and named in `tooLarge`, for the module to refuse if it is meant
 * for a column.
 *
 * @param {unknown} row
 * @returns {string}
 */
function rowJson(row) {
  // Not a row: the module refuses the rows for it, and need not see what it was.
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'null';
  const { fields, item, recordId, record_id: recordIdAsLark } = /** @type {Record<string, unknown>} */ (row);
  /** @type {Record<string, unknown>} */
  const rest = {};
  for (const [key, value] of Object.entries({ item, recordId, record_id: recordIdAsLark })) {
    const json = JSON.stringify(value);
    if (json === undefined) continue;
    // No item number or record ID is so long: only its length goes in, for the module to refuse.
    rest[key] = json.length > MAX_INPUT_CHARS ? `(a value of ${json.length} characters)` : value;
  }
  const head = JSON.stringify(rest);
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || typeof (/** @type {any} */ (fields).toJSON) === 'function') {
    const json = JSON.stringify(fields);
    return json === undefined ? head : `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"fields":${json}}`;
  }
  const cells = [];
  const tooLarge = [];
  for (const [name, value] of Object.entries(fields)) {
    // No column has a name so long: only its length is copied in, for the module to refuse.
    if (name.length > MAX_INPUT_CHARS) {
      tooLarge.push(`(a name of ${name.length} characters)`);
      continue;
    }
    const json = JSON.stringify(value);
    if (json === undefined) continue;
    if (json.length > MAX_CELL_CHARS) tooLarge.push(name);
    else cells.push(`${JSON.stringify(name)}:${json}`);
  }
  const more = tooLarge.length > 0 ? `,"tooLarge":${JSON.stringify(tooLarge)}` : '';
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"fields":{${cells.join(',')}}${more}}`;
}

/**
 * The outcome of each row of a write whose instance broke mid-call: a row in a batch that was sent
 * may have been applied (a create batch's client token makes running it again safe); a row that
 * was not sent was not applied.
 *
 * @param {unknown[]} rows
 * @param {Map<number, string | undefined>} sent
 */
function rowsAfterBreak(rows, sent) {
  return rows.map((row, position) => {
    const own = /** @type {{ item?: unknown }} */ (row ?? {}).item;
    const item = typeof own === 'number' && Number.isInteger(own) && own >= 0 ? own : position;
    const error = internalError('LarkbaseError');
    if (!sent.has(item)) {
      return { item, error: { ...error, message: 'not sent: the module failed before this item was sent', code: 'NOT_SENT', hint: 'run it again', attempts: 0 } };
    }
    const clientToken = sent.get(item);
    const hint = clientToken === undefined
      ? 'check the records in the base; running it again is safe'
      : `check the table before running again; to run it again without creating the records twice, send the same items with client token ${clientToken}`;
    return { item, error: { ...error, message: `${error.message} after this item's batch was sent; the batch may have been applied`, hint, clientToken } };
  });
}

/**
 * Withholds every text of a Lark Base result or error that holds the credential's App Secret, in
 * any spelling, as the token module finds it (the App Secret never reaches the Lark Base module,
 * but a server may echo it into any text).
 *
 * @param {Record<string, unknown>} credential
 */
function secretWithholder(credential) {
  const secret = credential.appSecret;
  /** @type {Map<string, boolean>} */
  const searched = new Map();
  const holds = (/** @type {string} */ text) => {
    let found = searched.get(text);
    if (found === undefined) {
      try {
        found = typeof secret === 'string' && instance(tokenModule).holdsSecret(secret, text);
      } catch {
        // When the search itself fails, the text is not shown.
        found = true;
      }
      searched.set(text, found);
    }
    return found;
  };
  /** @param {Record<string, unknown>} error */
  const clean = (error) => {
    for (const key of ['message', 'hint', 'larkMsg', 'column', 'field']) {
      const text = error[key];
      if (typeof text === 'string' && holds(text)) error[key] = WITHHELD;
    }
    return error;
  };
  return {
    /** @param {unknown} error */
    inError: (error) => (isLarkbaseError(error) ? clean(/** @type {any} */ (error)) : error),
    /** @param {unknown} result */
    inResult: (result) => {
      const { items, error } = /** @type {{ items?: Array<{ error?: Record<string, unknown> }>, error?: Record<string, unknown> }} */ (result ?? {});
      for (const item of Array.isArray(items) ? items : []) {
        if (item?.error) clean(item.error);
      }
      // A trigger's outcome carries the error of an event it could not handle.
      if (error) clean(error);
      return result;
    },
  };
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
 * If the module fails under it, the answer asks Lark to deliver the event again later.
 *
 * @param {Uint8Array} body
 * @param {Record<string, unknown>} input
 * @param {import('./index').TokenParams} credential
 * @param {import('./index').FetchLike} [fetch]
 * @returns {Promise<import('./index').EventOutcome>}
 */
function handleLarkEvent(body, input, credential, fetch) {
  let json;
  let plain;
  try {
    plain = credentialCopy(credential);
    // The credential's app, the only one whose app_ticket is kept; never the caller's say.
    json = JSON.stringify({ ...(input ?? {}), appId: typeof plain?.appId === 'string' ? plain.appId : '' });
  } catch (error) {
    return Promise.reject(isLarkbaseError(error) ? error : baseError('the request could not be copied as JSON', 'event'));
  }
  /** @param {number} status @param {string} kind @param {string} msg */
  const answer = (status, kind, msg) => /** @type {import('./index').EventOutcome} */ ({ status, answer: { code: status, msg }, kind, items: [] });
  if (!(body instanceof Uint8Array) || body.length > maxEventBodyBytes()) {
    return Promise.resolve(answer(413, 'tooLarge', 'payload too large'));
  }
  const host = baseHost(plain, fetch);
  const retryLater = () => answer(500, 'retryLater', 'not handled, try again later');
  return withheld(plain, run(baseModule, (core) => core.larkbaseEvent(body, json, fenced(host, core)).then((out) => JSON.parse(out)), retryLater));
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
 * A call of the trigger's exports, made as larkbaseCall makes the Larkbase node's. Each only reads
 * (a subscription made twice is one), so it is run again if the instance breaks under it.
 *
 * @param {'larkbasePoll' | 'larkbaseSubscribe' | 'larkbaseTriggerColumns'} name
 * @param {Record<string, any>} params
 * @returns {Promise<any>}
 */
function triggerCall(name, params) {
  let input;
  try {
    input = copyBaseParams(params);
  } catch (error) {
    return Promise.reject(isLarkbaseError(error) ? error : baseError('params could not be copied as JSON (a cycle, a BigInt or a getter that throws)', 'params'));
  }
  const { copy, credential, fetch } = input;
  const host = baseHost(credential, fetch);
  return withheld(credential, run(baseModule, (core) => core[name](copy, fenced(host, core)).then((out) => (typeof out === 'string' ? JSON.parse(out) : undefined))));
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
