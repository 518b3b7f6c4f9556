// @ts-check
'use strict';
// A hostile Lark Base, for tests/larkbase-hostile*.test.js: a local HTTP server (127.0.0.1 only)
// that answers Lark Base's paths, and the token endpoint, the way an attacker who controls the
// server, a proxy on the way or the data in the base could. Honest answers come from the ordinary
// Lark Base stand-in (./lark-base-stand-in.js, which it wraps and whose tables the tests fill);
// one mode per class of the issue then bends them:
//
// - `endless`: pages that never end (new, alternating or repeated page tokens, one record a page,
//   a `total` that lies, tokens of megabytes or with control characters, more records than asked);
// - `hang`: requests that are never answered, or answered late; a token endpoint that hangs;
// - `pairing`: batch answers that pair rows with the wrong records (reordered, swapped, duplicated,
//   malformed, short, long, other cells; updates and deletes that leave records out; upsert
//   lookups that list one record under two keys);
// - `echo`: the access token and the App Secret (taken from the token request) echoed back in any
//   spelling, in `msg`, field names, record IDs, table names and headers;
// - `deep`: JSON nested thousands deep or made of millions of values where scalars belong, and
//   bodies of 16 MiB and more, in Lark Base answers and token answers;
// - `rate`: rate limits that never end, or whose headers lie.
//
// Every request is kept in `requests` (method, path, query, body, authorization, when it came).

const http = require('node:http');
const crypto = require('node:crypto');
const { createLarkBase } = require('./lark-base-stand-in');

const BASE_PATH = /^\/open-apis\/bitable\/v1\/apps\/([^/]+)(\/.*)?$/;
const TOKEN_PATH = /^\/open-apis\/auth\/v3\/(tenant|app)_access_token(\/internal)?$/;
/** Requests larger than this are not kept whole: no client of ours sends one. */
const MAX_REQUEST_BYTES = 64 << 20;

/**
 * @typedef {{ method: string, path: string, action: string, query: URLSearchParams, body: any,
 *   authorization: string | undefined, bearer: string | undefined, at: number }} HostileRequest
 * @typedef {{ status: number, json?: unknown, text?: string | Buffer, headers?: Record<string, string> }} Answer
 * @typedef {{ name: 'honest' } | { name: string, [option: string]: any }} Mode
 */

/** A Lark-looking record ID. @param {number} n */
const recordId = (n) => `rec${String(n).padStart(8, '0')}`;

/** An array nested `depth` deep, as JSON text, built without recursion. @param {number} depth */
const nested = (depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * JSON text of `value` with `slot` (a string that appears once in it, quoted) replaced by `raw`
 * JSON text: how the deep and large shapes are put where a scalar belongs.
 *
 * @param {unknown} value @param {string} slot @param {string} raw
 */
const splice = (value, slot, raw) => JSON.stringify(value).replace(JSON.stringify(slot), () => raw);

/**
 * The raw JSON text of a hostile shape.
 *
 * @param {string} shape `nested5000`, `nested100000`, `flat` (a million zeros), `object` or
 *   `wide-object` (100,000 keys)
 */
function shapeText(shape) {
  switch (shape) {
    case 'nested5000':
      return nested(5000);
    case 'nested100000':
      return nested(100_000);
    case 'flat':
      return `[${new Array(1_000_000).fill('0').join(',')}]`;
    case 'object':
      return '{"a":{"b":[1,2,{"c":"d"}]}}';
    case 'wide-object':
      return `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    default:
      throw new Error(`no shape ${shape}`);
  }
}

async function startHostile() {
  /** The honest answers: an ordinary Lark Base that takes any token. */
  const base = createLarkBase({ checkToken: () => undefined, writeLatencyMs: 0 });
  /** @type {HostileRequest[]} */
  const requests = [];
  /** App Secrets the token endpoint was sent: what an echoing server has to echo. */
  /** @type {string[]} */
  const appSecrets = [];
  /** @type {Mode} */
  let mode = { name: 'honest' };
  /** Per-mode state, reset with the mode. */
  /** @type {Record<string, any>} */
  let state = {};
  /** Responses held open by `hang`, ended by close(). */
  /** @type {Set<http.ServerResponse>} */
  const held = new Set();
  /** Waiters for the next request of an action (see `nextRequest`). */
  /** @type {Array<{ action: string, resolve: (request: HostileRequest) => void }>} */
  const waiters = [];
  let tokenNumber = 0;
  /** The bodies of the deep modes, made once each. */
  /** @type {Map<string, Buffer>} */
  const bodies = new Map();

  /** @param {string} method @param {string} rest */
  function actionOf(method, rest) {
    if (rest === '/tables') return 'tables';
    if (/^\/tables\/[^/]+\/fields$/.test(rest)) return 'fields';
    const m = /^\/tables\/[^/]+\/records\/([a-z_]+)$/.exec(rest);
    if (m && method === 'POST') return m[1];
    return 'other';
  }

  /**
   * The ordinary stand-in's answer to a request.
   *
   * @param {HostileRequest} req
   * @returns {Promise<Answer>}
   */
  function honest(req) {
    return new Promise((resolve) => {
      const handled = base.handle(
        { method: req.method, path: req.path, query: req.query, body: req.body, authorization: req.authorization },
        // A copy: the modes bend answers, and the stand-in's answers hold its own objects.
        (status, json, headers) => resolve({ status, json: JSON.parse(JSON.stringify(json)), headers }),
      );
      if (!handled) resolve({ status: 404, json: { code: 404, msg: 'not found' } });
    });
  }

  /** A token answer, as Lark gives it. */
  function tokenAnswer() {
    return { code: 0, msg: 'ok', tenant_access_token: `t-hostile-${++tokenNumber}-${crypto.randomBytes(12).toString('hex')}`, expire: 7200 };
  }

  /**
   * What the current mode answers; `undefined` holds the request open for ever.
   *
   * @param {HostileRequest} req
   * @returns {Promise<Answer | undefined>}
   */
  async function answer(req) {
    const m = /** @type {any} */ (mode);
    if (req.action === 'token') {
      const secret = req.body?.app_secret;
      if (typeof secret === 'string' && !appSecrets.includes(secret)) appSecrets.push(secret);
      if (m.name === 'hang' && m.token) return undefined;
      if (m.name === 'deep' && m.token) return { status: 200, text: deepBody(m) };
      return { status: 200, json: tokenAnswer() };
    }
    switch (m.name) {
      case 'honest':
        return honest(req);
      case 'endless':
        return endless(req, m);
      case 'hang':
        return hang(req, m);
      case 'pairing':
        return pairing(req, m);
      case 'echo':
        return echo(req, m);
      case 'deep':
        return deep(req, m);
      case 'rate':
        return rate(req, m);
      default:
        throw new Error(`no mode ${m.name}`);
    }
  }

  /**
   * Pages that do not end. `tokens`: `new` (a new one each page), `alternate` (two in turn),
   * `repeat` (the token of three pages back, from the fifth page), `huge` (`tokenBytes` long),
   * `control` (with a control character), `none` (has_more without one); `perPage` records a page
   * (or `extra` more than the page_size asked for); `total` as given (a lie, or left out).
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Answer}
   */
  function endless(req, m) {
    if (!['search', 'tables', 'fields'].includes(req.action)) return { status: 404, json: { code: 404, msg: 'not found' } };
    state.pages = (state.pages ?? 0) + 1;
    const n = state.pages;
    const asked = Number(req.query.get('page_size')) || 20;
    const count = m.extra !== undefined ? asked + m.extra : (m.perPage ?? 1);
    const items = Array.from({ length: count }, (_, i) => {
      const k = (n - 1) * count + i;
      if (req.action === 'tables') return { table_id: `tbl${String(k).padStart(8, '0')}`, name: `T${k}`, revision: 1 };
      if (req.action === 'fields') return { field_id: `fld${String(k).padStart(8, '0')}`, field_name: `F${k}`, type: 1, is_primary: k === 0, property: null };
      return { record_id: recordId(k), fields: { Key: [{ type: 'text', text: `K${k}` }] } };
    });
    /** @type {Record<string, () => unknown>} */
    const tokens = {
      new: () => `pt${n}x${crypto.randomBytes(6).toString('hex')}`,
      alternate: () => (n % 2 ? 'ptAAAA' : 'ptBBBB'),
      repeat: () => (n >= 5 ? `pt${n - 3}` : `pt${n}`),
      huge: () => `pt${'h'.repeat(m.tokenBytes ?? 4 << 20)}`,
      control: () => `pt${n}\u0000${n}`,
      none: () => '',
    };
    const data = { items, has_more: true, page_token: tokens[m.tokens ?? 'new'](), ...('total' in m ? { total: m.total } : {}) };
    return { status: 200, json: { code: 0, msg: 'success', data } };
  }

  /**
   * Requests of the actions in `actions` (all when left out) are held open for ever, or answered
   * honestly after `lateMs`; `first: n` holds only the first n of them, then answers honestly.
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Promise<Answer | undefined>}
   */
  async function hang(req, m) {
    const matches = !m.actions || m.actions.includes(req.action);
    state.held = (state.held ?? 0) + (matches ? 1 : 0);
    if (!matches || (m.first !== undefined && state.held > m.first)) return honest(req);
    if (m.lateMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, m.lateMs));
      return honest(req);
    }
    return undefined;
  }

  /**
   * Honest writes whose answers pair rows with the wrong records. `create`: `reorder`, `swap`
   * (the first two records' IDs, their cells left in place), `duplicate` (the first ID twice),
   * `empty` (an empty ID), `malformed` (an ID no Lark record has), `short` (one record fewer),
   * `long` (one more), `cells` (the first record's Key cell changed), `reuse` (the IDs `ids`,
   * e.g. of records that already existed), `repeat-first` (every batch answered with the first
   * batch's IDs), `hold` (the honest answer held until `state.release()`), for every create, or
   * only the `onlyCreate`th; `update`: `fewer`, `none`, `others` (other records' IDs), `hold`;
   * `delete`: `not-deleted`, `missing`; `lookup`: `two-keys` (the first record also listed under
   * the key `otherKey`), `twice` (every record listed twice).
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Promise<Answer | undefined>}
   */
  async function pairing(req, m) {
    const honestAnswer = await honest(req);
    const json = /** @type {any} */ (honestAnswer.json);
    if (json?.code !== 0) return honestAnswer;
    const records = json.data?.records;
    if (req.action === 'batch_create' && m.create) {
      state.creates = (state.creates ?? 0) + 1;
      if (m.onlyCreate !== undefined && m.onlyCreate !== state.creates) return honestAnswer;
      json.data.records = bendCreate(records, m);
      if (m.create === 'hold') {
        return new Promise((resolve) => {
          state.release = () => resolve(honestAnswer);
        });
      }
    }
    if (req.action === 'batch_update' && m.update) {
      if (m.update === 'hold') {
        return new Promise((resolve) => {
          state.release = () => resolve(honestAnswer);
        });
      }
      if (m.update === 'fewer') json.data.records = records.slice(0, -1);
      if (m.update === 'none') json.data.records = [];
      if (m.update === 'others') json.data.records = records.map((/** @type {any} */ r, /** @type {number} */ i) => ({ ...r, record_id: recordId(900_000 + i) }));
    }
    if (req.action === 'batch_delete' && m.delete) {
      if (m.delete === 'not-deleted') json.data.records = records.map((/** @type {any} */ r) => ({ ...r, deleted: false }));
      if (m.delete === 'missing') json.data.records = records.slice(1);
    }
    if (req.action === 'search' && m.lookup) {
      const items = json.data.items ?? [];
      if (m.lookup === 'twice') json.data.items = items.flatMap((/** @type {any} */ r) => [r, r]);
      if (m.lookup === 'two-keys' && items.length > 0) {
        json.data.items = [...items, { record_id: items[0].record_id, fields: { ...items[0].fields, Key: [{ type: 'text', text: m.otherKey }] } }];
      }
    }
    return honestAnswer;
  }

  /** @param {any[]} records @param {any} m */
  function bendCreate(records, m) {
    const copy = records.map((r) => ({ ...r, fields: { ...r.fields } }));
    switch (m.create) {
      case 'reorder':
        return copy.reverse();
      case 'swap':
        [copy[0].record_id, copy[1].record_id] = [copy[1].record_id, copy[0].record_id];
        return copy;
      case 'duplicate':
        copy[1].record_id = copy[0].record_id;
        return copy;
      case 'empty':
        copy[0].record_id = '';
        return copy;
      case 'malformed':
        copy[0].record_id = 'rec-../../x';
        return copy;
      case 'short':
        return copy.slice(0, -1);
      case 'long':
        return [...copy, { record_id: recordId(999_999), fields: copy[0].fields }];
      case 'cells':
        copy[0].fields.Key = `${copy[0].fields.Key}-other`;
        return copy;
      case 'reuse':
        return copy.map((r, i) => ({ ...r, record_id: m.ids[i % m.ids.length] }));
      case 'repeat-first':
        state.firstIds ??= copy.map((r) => r.record_id);
        return copy.map((r, i) => ({ ...r, record_id: state.firstIds[i % state.firstIds.length] }));
      case 'hold':
        return records;
      default:
        throw new Error(`no create ${m.create}`);
    }
  }

  /**
   * The secret (`secret: 'token'`, the Bearer token of the request; `'app'`, the App Secret the
   * token endpoint was sent), spelled by `form`, put `where`: `msg` (of an error answer, code
   * 1254045), `field-name` (the name of the table's column `column`, as the field list gives it, or of a
   * column added after the table's own and the text columns named `padColumns`),
   * `record-id` (the ID of the first record a search finds), `table-name` or `table-id` (of a table list),
   * `headers` (Retry-After and Lark's rate-limit headers of a 429, which ends when `refusals` ran
   * out), `padding` characters before it; only for requests of `actions`, when given.
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Promise<Answer>}
   */
  async function echo(req, m) {
    if (m.actions && !m.actions.includes(req.action)) return honest(req);
    const raw = m.secret === 'app' ? (appSecrets.at(-1) ?? '') : (req.bearer ?? '');
    const echoed = `${'x'.repeat(m.padding ?? 0)}${m.form(raw)}`;
    if (m.where === 'msg') return { status: 200, json: { code: 1254045, msg: `FieldNameNotFound: ${echoed}` } };
    if (m.where === 'headers') {
      state.refused = (state.refused ?? 0) + 1;
      if (state.refused > (m.refusals ?? Infinity)) return honest(req);
      const header = echoed.replace(/[^\x20-\x7e]/g, '?');
      return {
        status: 429,
        json: { code: 99991400, msg: 'request trigger frequency limit' },
        headers: { 'Retry-After': header, 'x-ogw-ratelimit-reset': header, 'x-ogw-ratelimit-limit': header },
      };
    }
    const honestAnswer = await honest(req);
    const json = /** @type {any} */ (honestAnswer.json);
    if (json?.code !== 0) return honestAnswer;
    if (m.where === 'field-name' && req.action === 'fields') {
      for (const field of json.data.items ?? []) if (field.field_name === m.column) field.field_name = echoed;
      const added = [...(m.padColumns ?? []), ...(m.column === undefined ? [echoed] : [])];
      for (const [i, name] of added.entries()) {
        json.data.items.push({ field_id: `fldPad${i}`, field_name: name, type: 1, is_primary: false, property: null });
      }
    }
    if (m.where === 'record-id' && req.action === 'search' && json.data.items?.length > 0) {
      json.data.items[0].record_id = `rec${echoed}`;
    }
    if (m.where === 'table-name' && req.action === 'tables') {
      json.data.items = [...(json.data.items ?? []), { table_id: 'tblEchoed0001', name: echoed, revision: 1 }];
    }
    if (m.where === 'table-id' && req.action === 'tables') {
      json.data.items = [...(json.data.items ?? []), { table_id: `tbl${echoed}`, name: 'Echoed', revision: 1 }];
    }
    return honestAnswer;
  }

  /**
   * Deep or large JSON. `field`: where the shape goes (`code`, `msg`, `has_more`, `page_token`,
   * `total`, `table_id`, `record_id`, `deleted`, `data`), `shape` (see shapeText), for requests of
   * `action` (all when left out); or `body`: `tiny` (3 million tiny values), `big` (`mib` MiB of
   * one string, default 17), `raw` (`text` as it is), `values` (`count` strings of `valueBytes`, 399,990 of 2 by default:
   * just under the values an answer may hold), `keys` (`count` keys in `data`), `big-page` (a page
   * of 500 records of `cellBytes`, 62,000 by default: 31 MB, on every request, always with more
   * to come).
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Promise<Answer>}
   */
  async function deep(req, m) {
    if (m.action && m.action !== req.action) return honest(req);
    if (m.body === 'big-page') return bigPage(m);
    return { status: 200, text: deepBody(m) };
  }

  /**
   * The body of a deep mode, made once: so that the tests measure the client's work, not this
   * server's.
   *
   * @param {any} m
   * @returns {Buffer}
   */
  function deepBody(m) {
    const key = JSON.stringify(m);
    let body = bodies.get(key);
    if (body === undefined) {
      body = Buffer.from(m.token ? deepTokenText(m) : deepText(m));
      bodies.set(key, body);
    }
    return body;
  }

  /** @param {any} m @returns {string} */
  function deepText(m) {
    if (m.body === 'tiny') {
      return `{"code":0,"msg":"success","data":{"items":[${new Array(3_000_000).fill('0').join(',')}]}}`;
    }
    if (m.body === 'big') {
      return `{"code":0,"msg":"${'x'.repeat((m.mib ?? 17) << 20)}","data":{}}`;
    }
    if (m.body === 'raw') return m.text;
    if (m.body === 'values') {
      const value = JSON.stringify('v'.repeat(m.valueBytes ?? 2));
      return `{"code":0,"msg":"success","data":{"items":[${new Array(m.count ?? 399_990).fill(value).join(',')}]}}`;
    }
    if (m.body === 'keys') {
      return `{"code":0,"msg":"success","data":{${Array.from({ length: m.count ?? 399_990 }, (_, i) => `"k${i}":0`).join(',')}}}`;
    }
    const slot = '\u0000SLOT\u0000';
    const shaped = shapeText(m.shape);
    /** @type {Record<string, unknown>} */
    const envelopes = {
      code: { code: slot, msg: 'success', data: {} },
      msg: { code: 1254045, msg: slot, data: {} },
      has_more: { code: 0, msg: 'success', data: { items: [], has_more: slot, page_token: 'pt1' } },
      page_token: { code: 0, msg: 'success', data: { items: [], has_more: true, page_token: slot } },
      total: { code: 0, msg: 'success', data: { items: [], has_more: false, total: slot } },
      table_id: { code: 0, msg: 'success', data: { items: [{ table_id: slot, name: 'T' }], has_more: false } },
      record_id: { code: 0, msg: 'success', data: { records: [{ record_id: slot, fields: {} }], items: [{ record_id: slot, fields: {} }], has_more: false } },
      deleted: { code: 0, msg: 'success', data: { records: [{ record_id: 'recA0000001', deleted: slot }] } },
      data: { code: 0, msg: 'success', data: slot },
    };
    return splice(envelopes[m.field], slot, shaped);
  }

  /** A page of 500 records of `cellBytes` each, always with more to come. @param {any} m @returns {Answer} */
  function bigPage(m) {
    state.bigPages = (state.bigPages ?? 0) + 1;
    const cellBytes = m.cellBytes ?? 62_000;
    const key = `big-page ${cellBytes}`;
    if (!bodies.has(key)) {
      const cell = 'y'.repeat(cellBytes);
      bodies.set(key, Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ record_id: recordId(i), fields: { Key: cell } })))));
    }
    const items = /** @type {Buffer} */ (bodies.get(key));
    const text = Buffer.concat([
      Buffer.from('{"code":0,"msg":"success","data":{"items":'),
      items,
      Buffer.from(`,"has_more":true,"page_token":"pt${state.bigPages}","total":1000000}}`),
    ]);
    return { status: 200, text };
  }

  /** A token answer whose `token` field (`code`, `msg`, `expire`, `tenant_access_token`) holds `shape`. @param {any} m */
  function deepTokenText(m) {
    const slot = '\u0000SLOT\u0000';
    const answer = /** @type {Record<string, unknown>} */ (tokenAnswer());
    answer[m.token] = slot;
    return splice(answer, slot, shapeText(m.shape));
  }

  /**
   * Rate limited: for ever, or for the first `refusals` requests. `status` (429 by default, or
   * 400), `code` (99991400), and `headers` as given (e.g. lying resets); each refusal after
   * `delayMs`, as a slow gateway gives it.
   *
   * @param {HostileRequest} req @param {any} m
   * @returns {Promise<Answer>}
   */
  async function rate(req, m) {
    state.refused = (state.refused ?? 0) + 1;
    if (m.refusals !== undefined && state.refused > m.refusals) return honest(req);
    if (m.delayMs) await new Promise((resolve) => setTimeout(resolve, m.delayMs));
    return { status: m.status ?? 429, json: { code: m.code ?? 99991400, msg: 'request trigger frequency limit' }, headers: m.headers ?? {} };
  }

  /** @type {http.RequestListener} */
  function handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const authorization = req.headers.authorization;
      const match = BASE_PATH.exec(url.pathname);
      const action = TOKEN_PATH.test(url.pathname) ? 'token' : match ? actionOf(req.method ?? '', match[2] ?? '') : 'other';
      /** @type {HostileRequest} */
      const seen = {
        method: req.method ?? '',
        path: url.pathname,
        action,
        query: url.searchParams,
        body,
        authorization,
        bearer: /^Bearer (.+)$/.exec(authorization ?? '')?.[1],
        at: Date.now(),
      };
      requests.push(seen);
      for (const waiter of waiters.filter((w) => w.action === action)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(seen);
      }
      if (action === 'other') return reply(res, { status: 404, json: { code: 404, msg: 'not found' } });
      let answered;
      try {
        answered = await answer(seen);
      } catch (error) {
        answered = { status: 500, text: `hostile stand-in failed: ${error}` };
      }
      if (answered === undefined) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      reply(res, answered);
    });
  }

  /** @param {http.ServerResponse} res @param {Answer} answered */
  function reply(res, answered) {
    if (res.destroyed) return;
    const text = answered.text ?? JSON.stringify(answered.json);
    res.writeHead(answered.status, { ...answered.headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    appSecrets,
    /** The honest Lark Base underneath: create bases, tables and records in it. */
    base,
    /** Switches to `mode` (see above), with fresh state; `{ name: 'honest' }` answers honestly. */
    setMode(/** @type {Mode} */ next) {
      mode = next;
      state = {};
    },
    /** Makes the body of a deep mode now, so that the next request only sends it. @param {Mode} deepMode */
    prepare(deepMode) {
      const m = /** @type {any} */ (deepMode);
      if (m.body === 'big-page') {
        bigPage(m);
        state = {};
      } else deepBody(m);
    },
    /** Per-mode state, e.g. `release` of a held create answer. */
    get state() {
      return state;
    },
    /** Requests of `action` seen since `from` (an index into `requests`). */
    count(/** @type {string} */ action, from = 0) {
      return requests.slice(from).filter((r) => r.action === action).length;
    },
    /**
     * The next request of `action` (`token`, `tables`, `fields`, `search`, `batch_create`, ...).
     *
     * @param {string} action
     * @returns {Promise<HostileRequest>}
     */
    nextRequest(action) {
      return new Promise((resolve) => waiters.push({ action, resolve }));
    },
    /** Ends the requests held open so far. */
    dropHeld() {
      for (const res of held) res.destroy();
      held.clear();
    },
    close() {
      this.dropHeld();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

module.exports = { startHostile, recordId, nested };
