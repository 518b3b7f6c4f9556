// @ts-check
'use strict';
// The Lark Base (Bitable) part of the local Lark stand-in, following ../shared/LARK_API.md's Lark
// Base section: bases, tables, fields and records; list tables and fields; search with a subset of
// the filter operators (is, isNot, contains, isEmpty, isNotEmpty, isGreater, isLess), sort, field
// names and page tokens; batch_get (100 at most), batch_create, batch_update and batch_delete (500
// at most, else 1254104); the one-record calls (POST, GET, PUT and DELETE of records); value checks
// per field type; client_token idempotency; and a write conflict (1254291) when two writes to one
// table overlap in time, as each write takes a moment.
// Every request must carry a tenant token the auth stand-in issued (99991661 / 99991663 otherwise).
// Mounted by tests/lark-stand-in.js.

const crypto = require('node:crypto');

const PREFIX = /^\/open-apis\/bitable\/v1\/apps\/([^/]+)(\/.*)?$/;
const MAX_WRITE_BATCH = 500;
const MAX_GET_BATCH = 100;
const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 20;
/** Field types whose cells Lark computes: writes to them are refused. */
const READ_ONLY_TYPES = new Set([19, 20, 1001, 1002, 1003, 1004, 1005]);
const OPERATORS = new Set(['is', 'isNot', 'contains', 'isEmpty', 'isNotEmpty', 'isGreater', 'isLess']);
const UI_TYPES = /** @type {Record<number, string>} */ ({
  1: 'Text', 2: 'Number', 3: 'SingleSelect', 4: 'MultiSelect', 5: 'DateTime', 7: 'Checkbox', 11: 'User',
  13: 'Phone', 15: 'Url', 17: 'Attachment', 18: 'SingleLink', 20: 'Formula', 21: 'DuplexLink',
  1001: 'CreatedTime', 1002: 'ModifiedTime', 1005: 'AutoNumber',
});

/**
 * @typedef {{ field_id: string, field_name: string, type: number, property: any, is_primary: boolean, ui_type: string }} StandInField
 * @typedef {{ record_id: string, fields: Record<string, unknown>, created: number, modified: number, seq: number }} StandInRecord
 * @typedef {{ table_id: string, name: string, revision: number, fields: StandInField[],
 *   records: Map<string, StandInRecord>, writing: boolean, seq: number }} StandInTable
 * @typedef {{ app_token: string, name: string, tables: Map<string, StandInTable>, forbidden?: boolean }} StandInBase
 * @typedef {{ name: string, type: number, property?: any, isPrimary?: boolean }} FieldSpec
 * @typedef {(status: number, json: object, headers?: Record<string, string>) => void} Reply
 */

/** Lark-looking IDs: a prefix and random letters and digits. */
function newId(/** @type {string} */ prefix, length = 10) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(length);
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * @param {{ checkToken: (authorization: string | undefined) => [number, object] | undefined,
 *   writeLatencyMs?: number }} options
 *   checkToken answers a refusal for a missing, unknown or expired token, or nothing when it is
 *   good; writeLatencyMs is how long each write holds its table (0: writes never overlap).
 */
function createLarkBase({ checkToken, writeLatencyMs = 2 }) {
  /** @type {Map<string, StandInBase>} */
  const bases = new Map();
  /** client_token → the answer its batch_create got, for idempotent retries. */
  /** @type {Map<string, object>} */
  const createdByClientToken = new Map();
  const stats = {
    /** Requests by action, e.g. `search`, `batch_create`, `fields`. */
    byAction: /** @type {Record<string, number>} */ ({}),
    writeConflicts: 0,
    /** The most records seen in one batch call. */
    largestBatch: 0,
    /** Requests refused for a missing, unknown or expired token. */
    refusedTokens: 0,
  };

  /**
   * @param {{ appToken?: string, name?: string, forbidden?: boolean }} [spec] forbidden: a base
   *   the app was never given access to, which Lark answers with HTTP 403 and code 91403
   */
  function createBase(spec = {}) {
    const appToken = spec.appToken ?? newId('bascn', 16);
    bases.set(appToken, { app_token: appToken, name: spec.name ?? 'Base', tables: new Map(), forbidden: spec.forbidden });
    return appToken;
  }

  /**
   * @param {string} appToken
   * @param {{ tableId?: string, name: string, fields: FieldSpec[] }} spec
   */
  function createTable(appToken, spec) {
    const base = bases.get(appToken);
    if (!base) throw new Error(`no base ${appToken}`);
    const tableId = spec.tableId ?? newId('tbl', 13);
    const fields = spec.fields.map((f, i) => ({
      field_id: newId('fld', 10),
      field_name: f.name,
      type: f.type,
      property: f.property ?? (f.type === 3 || f.type === 4 ? { options: [] } : null),
      is_primary: f.isPrimary ?? i === 0,
      ui_type: UI_TYPES[f.type] ?? 'Other',
    }));
    base.tables.set(tableId, { table_id: tableId, name: spec.name, revision: 1, fields, records: new Map(), writing: false, seq: 0 });
    return tableId;
  }

  /** @param {string} appToken @param {string} tableId */
  function tableOf(appToken, tableId) {
    const table = bases.get(appToken)?.tables.get(tableId);
    if (!table) throw new Error(`no table ${appToken}/${tableId}`);
    return table;
  }

  /**
   * Adds records directly (no checks), e.g. rows that already exist before a test.
   *
   * @param {string} appToken @param {string} tableId @param {Array<Record<string, unknown>>} rows
   * @param {string[]} [ids]
   */
  function addRecords(appToken, tableId, rows, ids) {
    const table = tableOf(appToken, tableId);
    return rows.map((fields, i) => insert(table, { ...fields }, ids?.[i]).record_id);
  }

  /** @param {StandInTable} table @param {Record<string, unknown>} fields @param {string} [id] */
  function insert(table, fields, id) {
    const now = Date.now();
    const record = { record_id: id ?? newId('rec', 10), fields, created: now, modified: now, seq: ++table.seq };
    table.records.set(record.record_id, record);
    return record;
  }

  /**
   * Every record of a table as it is stored (write form), in creation order.
   *
   * @param {string} appToken @param {string} tableId
   */
  function records(appToken, tableId) {
    return [...tableOf(appToken, tableId).records.values()].map((r) => ({ record_id: r.record_id, fields: { ...r.fields } }));
  }

  /**
   * Answers a request under /open-apis/bitable/; false when the path is not one of ours (or a
   * GET list of a table this stand-in does not hold, which the caller's older route answers).
   *
   * @param {{ method: string, path: string, query: URLSearchParams, body: any, authorization: string | undefined }} req
   * @param {Reply} reply
   */
  function handle(req, reply) {
    const match = PREFIX.exec(req.path);
    if (!match) return false;
    const [, appToken, rest = ''] = match;
    const route = routeOf(req.method, rest);
    if (route.action === 'list-records' && !bases.get(appToken)?.tables.has(route.tableId ?? '')) return false;
    stats.byAction[route.action] = (stats.byAction[route.action] ?? 0) + 1;
    const refusal = checkToken(req.authorization);
    if (refusal) {
      stats.refusedTokens++;
      reply(...refusal);
      return true;
    }
    if (route.action === 'unknown') {
      reply(404, { code: 404, msg: 'not found' });
      return true;
    }
    const base = bases.get(appToken);
    if (!base) {
      reply(200, { code: 1254040, msg: 'BaseTokenNotFound' });
      return true;
    }
    if (base.forbidden) {
      reply(403, { code: 91403, msg: 'Forbidden' });
      return true;
    }
    if (route.action === 'tables') {
      const items = [...base.tables.values()].map(({ table_id, name, revision }) => ({ table_id, name, revision }));
      paged(req.query, items, reply);
      return true;
    }
    const table = base.tables.get(route.tableId ?? '');
    if (!table) {
      reply(200, { code: 1254041, msg: 'TableIdNotFound' });
      return true;
    }
    switch (route.action) {
      case 'fields':
        paged(req.query, table.fields, reply);
        break;
      case 'list-records':
        listRecords(table, req.query, reply);
        break;
      case 'search':
        search(table, req.query, req.body, reply);
        break;
      case 'batch_get':
        batchGet(table, req.body, reply);
        break;
      case 'create-one':
      case 'put-one':
      case 'get-one':
      case 'delete-one':
        single(table, route.action, route.recordId, req.query, req.body, reply);
        break;
      default:
        write(table, route.action, req.query, req.body, reply);
    }
    return true;
  }

  /** @param {string} method @param {string} rest */
  function routeOf(method, rest) {
    if (rest === '/tables' && method === 'GET') return { action: 'tables' };
    // One record at a time: what people call from n8n's HTTP Request node, one item per call.
    const one = /^\/tables\/([^/]+)\/records(?:\/(rec[A-Za-z0-9_]+))?$/.exec(rest);
    if (one && method === 'POST' && !one[2]) return { action: 'create-one', tableId: one[1] };
    if (one && one[2] && ['GET', 'PUT', 'DELETE'].includes(method)) {
      return { action: `${method.toLowerCase()}-one`, tableId: one[1], recordId: one[2] };
    }
    const m = /^\/tables\/([^/]+)\/(fields|records)(?:\/([a-z_]+))?$/.exec(rest);
    if (!m) return { action: 'unknown' };
    const [, tableId, kind, action] = m;
    if (kind === 'fields' && !action && method === 'GET') return { action: 'fields', tableId };
    if (kind === 'records' && !action && method === 'GET') return { action: 'list-records', tableId };
    if (kind === 'records' && method === 'POST' && ['search', 'batch_get', 'batch_create', 'batch_update', 'batch_delete'].includes(action)) {
      return { action, tableId };
    }
    return { action: 'unknown' };
  }

  /** @param {URLSearchParams} query @returns {[number, number] | string} offset and size, or the problem */
  function pageOf(query, signature = '') {
    const size = query.has('page_size') ? Number(query.get('page_size')) : DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) return `page_size must be 1 to ${MAX_PAGE_SIZE}`;
    const token = query.get('page_token');
    if (!token) return [0, size];
    const [offset, sig] = Buffer.from(token, 'base64url').toString('utf8').split(':');
    if (!/^\d+$/.test(offset ?? '') || sig !== hash(signature)) return 'invalid page_token';
    return [Number(offset), size];
  }

  const hash = (/** @type {string} */ text) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 12);
  const pageToken = (/** @type {number} */ offset, /** @type {string} */ signature) =>
    Buffer.from(`${offset}:${hash(signature)}`).toString('base64url');

  /** @param {URLSearchParams} query @param {unknown[]} all @param {Reply} reply */
  function paged(query, all, reply, signature = '') {
    const page = pageOf(query, signature);
    if (typeof page === 'string') return reply(400, { code: 99992402, msg: `field validation failed: ${page}` });
    const [offset, size] = page;
    const items = all.slice(offset, offset + size);
    const hasMore = offset + size < all.length;
    reply(200, {
      code: 0,
      msg: 'success',
      data: { items: items.length ? items : null, has_more: hasMore, page_token: hasMore ? pageToken(offset + size, signature) : '', total: all.length },
    });
  }

  /** The legacy list call: plain strings for text unless `text_field_as_array=true`. */
  function listRecords(/** @type {StandInTable} */ table, /** @type {URLSearchParams} */ query, /** @type {Reply} */ reply) {
    const rich = query.get('text_field_as_array') === 'true';
    const items = [...table.records.values()].map((r) => ({ record_id: r.record_id, fields: readForm(table, r, null, rich) }));
    paged(query, items, reply, 'list');
  }

  function search(/** @type {StandInTable} */ table, /** @type {URLSearchParams} */ query, /** @type {any} */ body, /** @type {Reply} */ reply) {
    body = body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) return reply(400, { code: 1254001, msg: 'WrongRequestBody' });
    const names = new Set(table.fields.map((f) => f.field_name));
    const problem = checkFilter(body.filter, names) ?? checkNames(body.field_names, names) ?? checkSort(body.sort, names);
    if (problem) return reply(...problem);
    let matched = [...table.records.values()].filter((r) => !body.filter || matches(table, r, body.filter));
    for (const { field_name, desc } of [...(body.sort ?? [])].reverse()) {
      const field = fieldNamed(table, field_name);
      matched = [...matched].sort((a, b) => compareCells(field, a.fields[field_name], b.fields[field_name]) * (desc ? -1 : 1));
    }
    // Only the page's records are read out: a search per item over a large table stays cheap.
    const signature = `${table.table_id}:${JSON.stringify(body)}`;
    const page = pageOf(query, signature);
    if (typeof page === 'string') return reply(400, { code: 99992402, msg: `field validation failed: ${page}` });
    const [offset, size] = page;
    const items = matched.slice(offset, offset + size).map((r) => ({ record_id: r.record_id, fields: readForm(table, r, body.field_names, true) }));
    const hasMore = offset + size < matched.length;
    reply(200, {
      code: 0,
      msg: 'success',
      data: { items: items.length ? items : null, has_more: hasMore, page_token: hasMore ? pageToken(offset + size, signature) : '', total: matched.length },
    });
  }

  /** @returns {[number, object] | undefined} */
  function checkFilter(/** @type {any} */ filter, /** @type {Set<string>} */ names) {
    if (filter === undefined || filter === null) return undefined;
    if (typeof filter !== 'object' || !['and', 'or'].includes(filter.conjunction)) {
      return [400, { code: 99992402, msg: 'field validation failed: filter.conjunction must be and or or' }];
    }
    for (const c of filter.conditions ?? []) {
      if (!names.has(c?.field_name)) return [200, { code: 1254045, msg: 'FieldNameNotFound' }];
      if (!OPERATORS.has(c.operator)) {
        return [400, { code: 99992402, msg: `field validation failed: operator ${String(c.operator)} is not one the stand-in knows` }];
      }
      if (!Array.isArray(c.value ?? []) || (c.value ?? []).some((/** @type {unknown} */ v) => typeof v !== 'string')) {
        return [400, { code: 99992402, msg: 'field validation failed: value must be an array of strings' }];
      }
    }
    for (const child of filter.children ?? []) {
      const problem = checkFilter(child, names);
      if (problem) return problem;
    }
    return undefined;
  }

  /** @returns {[number, object] | undefined} */
  function checkNames(/** @type {any} */ fieldNames, /** @type {Set<string>} */ names) {
    if (fieldNames === undefined) return undefined;
    if (!Array.isArray(fieldNames) || fieldNames.some((n) => !names.has(n))) return [200, { code: 1254045, msg: 'FieldNameNotFound' }];
    return undefined;
  }

  /** @returns {[number, object] | undefined} */
  function checkSort(/** @type {any} */ sort, /** @type {Set<string>} */ names) {
    if (sort === undefined) return undefined;
    if (!Array.isArray(sort) || sort.some((s) => !names.has(s?.field_name))) return [200, { code: 1254045, msg: 'FieldNameNotFound' }];
    return undefined;
  }

  /** @param {StandInTable} table @param {string} name */
  const fieldNamed = (table, name) => /** @type {StandInField} */ (table.fields.find((f) => f.field_name === name));

  /** @param {StandInTable} table @param {StandInRecord} record @param {any} filter @returns {boolean} */
  function matches(table, record, filter) {
    const results = [
      ...(filter.conditions ?? []).map((/** @type {any} */ c) => condition(fieldNamed(table, c.field_name), record.fields[c.field_name], c.operator, c.value ?? [])),
      ...(filter.children ?? []).map((/** @type {any} */ child) => matches(table, record, child)),
    ];
    return filter.conjunction === 'or' ? results.some(Boolean) : results.every(Boolean);
  }

  /** The text a cell compares as: option names, numbers in decimal, link of a URL. */
  function cellText(/** @type {unknown} */ cell) {
    if (cell === undefined || cell === null) return '';
    if (typeof cell === 'object' && !Array.isArray(cell) && 'link' in cell) return String(cell.link);
    if (Array.isArray(cell)) return cell.map((c) => (typeof c === 'object' && c ? (c.text ?? c.id ?? '') : String(c))).join(',');
    return String(cell);
  }

  /** A filter value as a number: a date's `["ExactDate", ms]` or a plain number. */
  const filterNumber = (/** @type {string[]} */ value) => Number(value[0] === 'ExactDate' ? value[1] : value[0]);

  /** @param {StandInField} field @param {unknown} cell @param {string} operator @param {string[]} value */
  function condition(field, cell, operator, value) {
    const empty = cell === undefined || cell === null || cell === '' || (Array.isArray(cell) && cell.length === 0);
    const numeric = field.type === 2 || field.type === 5 || field.type >= 1001;
    switch (operator) {
      case 'isEmpty':
        return empty;
      case 'isNotEmpty':
        return !empty;
      case 'is':
      case 'isNot': {
        let equal;
        if (field.type === 5 && value[0] === 'ExactDate') {
          const day = (/** @type {number} */ ms) => Math.floor(ms / 86_400_000);
          equal = !empty && day(Number(cell)) === day(Number(value[1]));
        } else if (numeric) equal = !empty && Number(cell) === filterNumber(value);
        else if (field.type === 4) equal = Array.isArray(cell) && cell.includes(value[0]);
        else equal = cellText(cell) === (value[0] ?? '');
        return operator === 'is' ? equal : !equal;
      }
      case 'contains':
        return cellText(cell).toLowerCase().includes(String(value[0] ?? '').toLowerCase());
      case 'isGreater':
        return !empty && Number(cell) > filterNumber(value);
      case 'isLess':
        return !empty && Number(cell) < filterNumber(value);
      default:
        return false;
    }
  }

  /** @param {StandInField} field @param {unknown} a @param {unknown} b */
  function compareCells(field, a, b) {
    if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
    if (b === undefined || b === null) return -1;
    if (field.type === 2 || field.type === 5) return Number(a) - Number(b);
    return cellText(a).localeCompare(cellText(b));
  }

  /**
   * A record's cells as Lark reads them out: text as rich-text segments (when `rich`), persons with
   * names, links as `{ link_record_ids }`, the automatic columns filled in; empty cells left out.
   *
   * @param {StandInTable} table @param {StandInRecord} record @param {string[] | null | undefined} only
   * @param {boolean} rich
   */
  function readForm(table, record, only, rich) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const field of table.fields) {
      if (only && !only.includes(field.field_name)) continue;
      let cell = record.fields[field.field_name];
      if (field.type === 1001) cell = record.created;
      if (field.type === 1002) cell = record.modified;
      if (field.type === 1005) cell = String(record.seq);
      if (cell === undefined || cell === null || cell === '' || (Array.isArray(cell) && cell.length === 0)) continue;
      if (field.type === 1 && rich) cell = [{ type: 'text', text: cell }];
      if (field.type === 11) cell = /** @type {Array<{ id: string }>} */ (cell).map(({ id }) => ({ id, name: '', en_name: '', email: '' }));
      if (field.type === 18 || field.type === 21) cell = { link_record_ids: cell };
      out[field.field_name] = cell;
    }
    return out;
  }

  function batchGet(/** @type {StandInTable} */ table, /** @type {any} */ body, /** @type {Reply} */ reply) {
    const ids = body?.record_ids;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) return reply(400, { code: 1254001, msg: 'WrongRequestBody' });
    stats.largestBatch = Math.max(stats.largestBatch, ids.length);
    if (ids.length > MAX_GET_BATCH) return reply(400, { code: 1254104, msg: 'RecordAddOnceExceedLimit' });
    const found = ids.filter((id) => table.records.has(id));
    reply(200, {
      code: 0,
      msg: 'success',
      data: {
        records: found.map((id) => {
          const record = /** @type {StandInRecord} */ (table.records.get(id));
          return { record_id: id, fields: readForm(table, record, null, true) };
        }),
        absent_record_ids: ids.filter((id) => !table.records.has(id)),
        forbidden_record_ids: [],
      },
    });
  }

  /**
   * batch_create, batch_update and batch_delete: checked as a whole (nothing is written when any
   * record is refused), then applied after the write latency, during which the table refuses other
   * writes with 1254291.
   */
  function write(
    /** @type {StandInTable} */ table,
    /** @type {string} */ action,
    /** @type {URLSearchParams} */ query,
    /** @type {any} */ body,
    /** @type {Reply} */ reply,
  ) {
    const list = body?.records;
    if (!Array.isArray(list)) return reply(400, { code: 1254001, msg: 'WrongRequestBody' });
    stats.largestBatch = Math.max(stats.largestBatch, list.length);
    if (list.length > MAX_WRITE_BATCH) return reply(400, { code: 1254104, msg: 'RecordAddOnceExceedLimit' });
    const clientToken = action === 'batch_create' ? query.get('client_token') : null;
    const earlier = clientToken ? createdByClientToken.get(clientToken) : undefined;
    if (earlier) return reply(200, earlier);
    const refusal = action === 'batch_delete' ? checkDeletes(table, list) : checkWrites(table, action, list);
    if (refusal) return reply(...refusal);
    if (table.writing) {
      stats.writeConflicts++;
      return reply(200, { code: 1254291, msg: 'Write conflict' });
    }
    const apply = () => {
      const answer = { code: 0, msg: 'success', data: { records: applyWrite(table, action, list) } };
      if (clientToken) createdByClientToken.set(clientToken, answer);
      table.revision++;
      return answer;
    };
    if (writeLatencyMs <= 0) return reply(200, apply());
    table.writing = true;
    setTimeout(() => {
      table.writing = false;
      reply(200, apply());
    }, writeLatencyMs);
  }

  /**
   * The one-record calls, answered as the batch calls they amount to: `data.record` for create,
   * update and get, `data.{ deleted, record_id }` for delete.
   */
  function single(
    /** @type {StandInTable} */ table,
    /** @type {string} */ action,
    /** @type {string | undefined} */ recordId,
    /** @type {URLSearchParams} */ query,
    /** @type {any} */ body,
    /** @type {Reply} */ reply,
  ) {
    if (action === 'get-one') {
      const record = table.records.get(recordId ?? '');
      if (!record) return reply(200, { code: 1254043, msg: 'RecordIdNotFound' });
      return reply(200, { code: 0, msg: 'success', data: { record: { record_id: record.record_id, fields: readForm(table, record, null, true) } } });
    }
    const batch = {
      'create-one': { action: 'batch_create', records: [{ fields: body?.fields }] },
      'put-one': { action: 'batch_update', records: [{ record_id: recordId, fields: body?.fields }] },
      'delete-one': { action: 'batch_delete', records: [recordId] },
    }[action];
    if (!batch) return reply(404, { code: 404, msg: 'not found' });
    write(table, batch.action, query, { records: batch.records }, (status, json) => {
      const answer = /** @type {any} */ (json);
      if (answer.code !== 0) return reply(status, answer);
      const [first] = answer.data.records;
      reply(status, { code: 0, msg: 'success', data: action === 'delete-one' ? first : { record: first } });
    });
  }

  /** @returns {[number, object] | undefined} */
  function checkDeletes(/** @type {StandInTable} */ table, /** @type {unknown[]} */ ids) {
    if (ids.some((id) => typeof id !== 'string')) return [400, { code: 1254001, msg: 'WrongRequestBody' }];
    if (ids.some((id) => !table.records.has(/** @type {string} */ (id)))) return [200, { code: 1254043, msg: 'RecordIdNotFound' }];
    return undefined;
  }

  /** @returns {[number, object] | undefined} */
  function checkWrites(/** @type {StandInTable} */ table, /** @type {string} */ action, /** @type {any[]} */ list) {
    for (const record of list) {
      if (typeof record !== 'object' || record === null || typeof record.fields !== 'object' || record.fields === null) {
        return [400, { code: 1254001, msg: 'WrongRequestBody' }];
      }
      if (action === 'batch_update' && !table.records.has(record.record_id)) return [200, { code: 1254043, msg: 'RecordIdNotFound' }];
      for (const [name, value] of Object.entries(record.fields)) {
        const field = table.fields.find((f) => f.field_name === name);
        if (!field) return [200, { code: 1254045, msg: 'FieldNameNotFound' }];
        const problem = valueProblem(field, value);
        if (problem) return [200, problem];
      }
    }
    return undefined;
  }

  /** Lark's checks of a written value by field type; `null` clears a cell. */
  function valueProblem(/** @type {StandInField} */ field, /** @type {unknown} */ value) {
    if (READ_ONLY_TYPES.has(field.type)) return { code: 1254015, msg: `field ${field.field_name} is read-only` };
    if (value === null) return undefined;
    const isString = (/** @type {unknown} */ v) => typeof v === 'string';
    const mismatch = { code: 1254015, msg: `FieldConvFail: ${field.field_name}` };
    switch (field.type) {
      case 1:
      case 13:
        return isString(value) ? undefined : mismatch;
      case 2:
        return typeof value === 'number' && Number.isFinite(value) ? undefined : mismatch;
      case 3:
        return isString(value) ? undefined : mismatch;
      case 4:
        return Array.isArray(value) && value.every(isString) ? undefined : mismatch;
      case 5:
        return Number.isInteger(value) ? undefined : { code: 1254064, msg: 'DatetimeFieldConvFail' };
      case 7:
        return typeof value === 'boolean' ? undefined : mismatch;
      case 11:
        return Array.isArray(value) && value.every((p) => p && isString(p.id)) ? undefined : { code: 1254066, msg: 'UserFieldConvFail' };
      case 15:
        return value && typeof value === 'object' && isString(/** @type {any} */ (value).link) ? undefined : { code: 1254068, msg: 'URLFieldConvFail' };
      case 17:
        return Array.isArray(value) && value.every((a) => a && isString(a.file_token)) ? undefined : mismatch;
      case 18:
      case 21:
        return Array.isArray(value) && value.every(isString) ? undefined : mismatch;
      default:
        return undefined;
    }
  }

  /** @param {StandInTable} table @param {string} action @param {any[]} list */
  function applyWrite(table, action, list) {
    const addOptions = (/** @type {Record<string, unknown>} */ fields) => {
      for (const field of table.fields.filter((f) => f.type === 3 || f.type === 4)) {
        const value = fields[field.field_name];
        const names = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
        for (const name of names) {
          if (!field.property.options.some((/** @type {{ name: string }} */ o) => o.name === name)) {
            field.property.options.push({ name, id: newId('opt', 8), color: 0 });
          }
        }
      }
    };
    if (action === 'batch_create') {
      return list.map(({ fields }) => {
        addOptions(fields);
        const record = insert(table, { ...fields });
        return { record_id: record.record_id, fields };
      });
    }
    if (action === 'batch_update') {
      return list.map(({ record_id, fields }) => {
        addOptions(fields);
        const record = /** @type {StandInRecord} */ (table.records.get(record_id));
        for (const [name, value] of Object.entries(fields)) {
          if (value === null) delete record.fields[name];
          else record.fields[name] = value;
        }
        record.modified = Date.now();
        return { record_id, fields };
      });
    }
    return list.map((id) => ({ record_id: id, deleted: table.records.delete(id) }));
  }

  /** A table's columns as listed (for the events stand-in). @param {string} appToken @param {string} tableId */
  const fields = (appToken, tableId) => tableOf(appToken, tableId).fields.map((f) => ({ ...f }));
  /** @param {string} appToken */
  const hasBase = (appToken) => bases.has(appToken);

  return { handle, createBase, createTable, addRecords, records, stats, fields, hasBase };
}

/** A table with a column of each common type, for the node tests, the end-to-end tests and the demo. */
const SAMPLE_FIELDS = /** @type {FieldSpec[]} */ ([
  { name: 'Key', type: 1, isPrimary: true },
  { name: 'Name', type: 1 },
  { name: 'Amount', type: 2 },
  { name: 'Status', type: 3, property: { options: [{ name: 'Todo', id: 'optTodo', color: 0 }, { name: 'Done', id: 'optDone', color: 1 }] } },
  { name: 'Tags', type: 4 },
  { name: 'Due', type: 5 },
  { name: 'Paid', type: 7 },
  { name: 'Owner', type: 11 },
  { name: 'Phone', type: 13 },
  { name: 'Website', type: 15 },
  { name: 'Total', type: 20 },
  { name: 'Created', type: 1001 },
  { name: 'No.', type: 1005 },
]);

/**
 * Input rows for the sample table, as an n8n item's JSON: item n has the key `K-00000n`.
 *
 * @param {number} n
 */
function sampleRow(n) {
  return {
    n,
    Key: `K-${String(n).padStart(6, '0')}`,
    Name: `Item ${n}`,
    Amount: n * 1.5,
    Status: n % 2 ? 'Done' : 'Todo',
    Due: new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString(),
    Paid: n % 3 === 0,
  };
}

module.exports = { createLarkBase, newId, SAMPLE_FIELDS, sampleRow, MAX_WRITE_BATCH, MAX_GET_BATCH };
