// @ts-check
'use strict';
// A local stand-in for the Lark auth API, following ../shared/LARK_API.md: the two self-built-app
// token endpoints, the store-app endpoints (app_ticket, tenant keys, ticket resend), Lark's error codes, its token lifetime rule and rate limit, Lark Base's "list
// records" endpoint that checks the Bearer token as Lark does (HTTP 400, code 99991663 for an
// unknown or expired one), plus the faults the tests inject. node:http only, on 127.0.0.1 only.
// Lark Base's tables, fields and records API is in ./lark-base-stand-in.js, mounted here.
//
// Run alone for manual tries: `node tests/lark-stand-in.js [port]` serves the demo app below.

const http = require('node:http');
const crypto = require('node:crypto');
const { createLarkBase, SAMPLE_FIELDS, sampleRow } = require('./lark-base-stand-in');
const { createEvents } = require('./lark-events-stand-in');

/** @type {Record<string, 'tenant' | 'app'>} */
const TOKEN_PATHS = {
  '/open-apis/auth/v3/tenant_access_token/internal': 'tenant',
  '/open-apis/auth/v3/app_access_token/internal': 'app',
};
const STORE_APP_TOKEN_PATH = '/open-apis/auth/v3/app_access_token';
const STORE_TENANT_TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token';
const RESEND_TICKET_PATH = '/open-apis/auth/v3/app_ticket/resend';
const LIFETIME_S = 7200;
/** Lark hands out the same token while more than this remains, and a new one after. */
const REUSE_THRESHOLD_S = 1800;
const MAX_BODY_BYTES = 64 * 1024;
/** Lark Base batches of 500 records are larger than any token request. */
const BASE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The most items the test items route hands out (the benchmark upserts 10,000). */
const MAX_TEST_ITEMS = 20_000;
const RECORDS_PATH = /^\/open-apis\/bitable\/v1\/apps\/[^/]+\/tables\/[^/]+\/records$/;
const TEST_ITEMS_PATH = '/stand-in/items';
const TEST_STATS_PATH = '/stand-in/stats';
/** Not Lark: creates a base with tables, for a stand-in in another process (the benchmark). */
const TEST_BASES_PATH = '/stand-in/bases';
/** Not Lark: every record of a table as stored, `?app=&table=`. */
const TEST_RECORDS_PATH = '/stand-in/records';
/** Not Lark: what workflows post here is kept by `?tag=` (the trigger's tests see its items so). */
const TEST_COLLECT_PATH = '/stand-in/collect';
const DEMO_RECORDS = [
  { record_id: 'recDemo001', fields: { Name: 'Nguyễn Văn A', Status: 'Done' } },
  { record_id: 'recDemo002', fields: { Name: 'Trần Thị B', Status: 'In progress' } },
];

const DEMO_APP = { appId: 'cli_demo0000000000001', appSecret: 'demo-app-secret-for-the-stand-in' };

/**
 * @typedef {'html500' | 'http503' | 'invalid-json' | 'missing-fields' | 'slow' | 'redirect' | 'redirect301'
 *   | 'redirect307' | 'redirect308' | 'oversized' | 'endless' | 'echo-body' | 'drip' | 'reset' | 'http429'
 *   | 'code-string' | 'expire-negative' | 'expire-zero' | 'expire-huge' | 'empty-token'
 *   | 'wrong-content-type' | 'write-conflict' | 'too-many-requests'} Fault
 * @typedef {{ method: string, path: string, contentType: string | undefined, body: any }} SeenRequest
 * @typedef {{ perSecond: number, status?: 400 | 429, headers?: 'ogw' | 'retry-after' }} BaseRateLimit
 *   Lark's gateway's per-app limit on Lark Base requests, in fixed windows of one second: a request
 *   over `perSecond` gets code 99991400 with HTTP `status` (400, as LARK_API.md says Lark answers,
 *   or 429) and, by `headers`, `x-ogw-ratelimit-limit` and `x-ogw-ratelimit-reset` (whole seconds
 *   until the window resets; the default) or only a `Retry-After`.
 */

/**
 * @param {{ apps?: Record<string, string>, storeApps?: Record<string, { secret: string, tenants: string[] }>,
 *   rateLimitPerSecond?: number, port?: number, writeLatencyMs?: number, baseRateLimit?: BaseRateLimit }} [options]
 *   apps maps a self-built app's App ID to its App Secret; storeApps holds store apps with the
 *   tenants that installed them; port 0 (the default) picks a free one; writeLatencyMs is how long
 *   a Lark Base write holds its table (see lark-base-stand-in.js); baseRateLimit limits each app's
 *   Lark Base requests (see BaseRateLimit).
 */
async function startStandIn(options = {}) {
  const apps = new Map(Object.entries(options.apps ?? { [DEMO_APP.appId]: DEMO_APP.appSecret }));
  const rateLimitPerSecond = options.rateLimitPerSecond ?? 100;
  /** @type {SeenRequest[]} */
  const requests = [];
  /** @type {Fault[]} */
  const faults = [];
  /** What workflows posted to TEST_COLLECT_PATH. @type {Array<{ tag: string, body: any }>} */
  const collected = [];
  /** @type {Map<string, { token: string, expiresAt: number }>} */
  const issued = new Map();
  const storeSecrets = new Map(Object.entries(options.storeApps ?? {}).map(([id, app]) => [id, app.secret]));
  const newTicket = () => `ticket-${crypto.randomBytes(8).toString('hex')}`;
  /** @type {Map<string, Set<string>>} */
  const validTickets = new Map([...storeSecrets.keys()].map((id) => [id, new Set([newTicket()])]));
  /** @type {Map<string, { appId: string, expiresAt: number }>} */
  const liveStoreAppTokens = new Map();
  /** Every tenant token handed out, with its expiry: an old one stays valid until it expires. */
  /** @type {Map<string, number>} */
  const liveTenantTokens = new Map();
  /** @type {Map<string, number[]>} */
  const recentByApp = new Map();
  let clockOffsetS = 0;
  const nowS = () => Date.now() / 1000 + clockOffsetS;
  /** Each token handed out, by the App ID it was issued for: whose Lark Base request it is. */
  /** @type {Map<string, string>} */
  const tokenApps = new Map();
  /** Lark Base requests let through and refused by `baseRateLimit`, and each app's window. */
  const baseRateLimitStats = { passed: 0, refused: 0 };
  /** @type {Map<string, { window: number, count: number }>} */
  const baseWindows = new Map();

  /** The lifetime rule: reuse while more than 30 minutes remain, else a new token. */
  function tokenFor(/** @type {string} */ key, /** @type {string} */ prefix) {
    const held = issued.get(key);
    if (held && held.expiresAt - nowS() > REUSE_THRESHOLD_S) return held;
    const fresh = { token: `${prefix}-${crypto.randomBytes(16).toString('hex')}`, expiresAt: nowS() + LIFETIME_S };
    issued.set(key, fresh);
    tokenApps.set(fresh.token, key.split(':')[1]);
    if (prefix === 't') liveTenantTokens.set(fresh.token, fresh.expiresAt);
    return fresh;
  }

  function rateLimited(/** @type {string} */ appId) {
    const now = nowS();
    const recent = (recentByApp.get(appId) ?? []).filter((t) => now - t < 1);
    recent.push(now);
    recentByApp.set(appId, recent);
    return recent.length > rateLimitPerSecond;
  }

  /**
   * Lark's check of the Bearer token on business APIs: HTTP 400 with 99991661 when there is none,
   * 99991663 when it is not a live tenant token this stand-in issued.
   *
   * @param {string | undefined} authorization
   * @returns {[number, object] | undefined}
   */
  function checkToken(authorization) {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return [400, { code: 99991661, msg: 'Missing access token for authorization.' }];
    const expiresAt = liveTenantTokens.get(token);
    if (expiresAt === undefined || expiresAt <= nowS()) {
      return [400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' }];
    }
    return undefined;
  }

  const base = createLarkBase({ checkToken, writeLatencyMs: options.writeLatencyMs });
  // Lark's events: the subscribe call, and deliveries to the apps' Request URLs.
  const events = createEvents({ checkToken, fields: base.fields, hasBase: base.hasBase });

  /**
   * The gateway's answer to a Lark Base request over its app's limit, or nothing. Requests without
   * a token this stand-in issued are left to the token check.
   *
   * @param {string | undefined} authorization
   * @returns {[number, object, Record<string, string>] | undefined}
   */
  function baseRateRefusal(authorization) {
    const limit = options.baseRateLimit;
    const appId = tokenApps.get(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');
    if (!limit || appId === undefined) return undefined;
    const now = Date.now();
    const window = Math.floor(now / 1000);
    const seen = baseWindows.get(appId);
    const count = seen?.window === window ? seen.count + 1 : 1;
    baseWindows.set(appId, { window, count });
    if (count <= limit.perSecond) {
      baseRateLimitStats.passed++;
      return undefined;
    }
    baseRateLimitStats.refused++;
    const reset = String(Math.max(1, Math.ceil(((window + 1) * 1000 - now) / 1000)));
    /** @type {Record<string, string>} */
    const headers =
      limit.headers === 'retry-after'
        ? { 'Retry-After': reset }
        : { 'x-ogw-ratelimit-limit': String(limit.perSecond), 'x-ogw-ratelimit-reset': reset };
    return [limit.status ?? 400, { code: 99991400, msg: 'request trigger frequency limit' }, headers];
  }

  /** @type {http.RequestListener} */
  function handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    const cap = (req.url ?? '').startsWith('/open-apis/bitable/') || (req.url ?? '').startsWith(TEST_BASES_PATH) ? BASE_MAX_BODY_BYTES : MAX_BODY_BYTES;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= cap) chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '').split('?')[0];
      requests.push({ method: req.method ?? '', path, contentType: req.headers['content-type'], body });
      const fault = path.startsWith('/stand-in/') ? undefined : faults.shift();
      if (fault) return injectFault(fault, res, raw);
      answer(req, res, path, body);
    });
  }

  function answer(
    /** @type {http.IncomingMessage} */ req,
    /** @type {http.ServerResponse} */ res,
    /** @type {string} */ path,
    /** @type {any} */ body,
  ) {
    const query = new URL(req.url ?? '', 'http://x').searchParams;
    if (path.startsWith('/open-apis/drive/')) {
      const handled = events.handle({ method: req.method ?? '', path, query, authorization: req.headers.authorization }, (status, json) =>
        send(res, status, json),
      );
      if (handled) return;
    }
    if (path.startsWith('/open-apis/bitable/')) {
      const refusal = baseRateRefusal(req.headers.authorization);
      if (refusal) return send(res, ...refusal);
      const handled = base.handle(
        { method: req.method ?? '', path, query, body, authorization: req.headers.authorization },
        (status, json) => send(res, status, json),
      );
      if (handled) return;
    }
    if (RECORDS_PATH.test(path)) return listRecords(req, res);
    if (path === TEST_STATS_PATH) {
      // Not Lark: how many token and Lark Base requests this stand-in has answered, for the benchmarks.
      return send(res, 200, {
        tokenRequests: requests.filter((r) => r.path.includes('access_token')).length,
        baseRequests: requests.filter((r) => r.path.startsWith('/open-apis/bitable/')).length,
        base: base.stats,
        baseRateLimit: baseRateLimitStats,
      });
    }
    if (path === TEST_ITEMS_PATH) {
      // Not Lark: hands an n8n workflow `count` items { n } to work on, or with `kind=rows`, rows
      // for the sample table (lark-base-stand-in.js), from `from` on.
      const count = Math.min(MAX_TEST_ITEMS, Number(query.get('count')) || 0);
      const from = Number(query.get('from')) || 0;
      // `bad=n` gives row n a date no one can read, for the Continue On Fail tests.
      const bad = query.has('bad') ? Number(query.get('bad')) : -1;
      const row = (/** @type {number} */ n) => (n === bad ? { ...sampleRow(from + n), Due: 'not a date' } : sampleRow(from + n));
      const make = query.get('kind') === 'rows' ? row : (/** @type {number} */ n) => ({ n });
      return send(res, 200, Array.from({ length: count }, (_, n) => make(n)));
    }
    if (path === TEST_BASES_PATH && req.method === 'POST') {
      // Not Lark: { appToken, tables: [{ tableId, name, sample: true } | { tableId, name, fields }] }.
      const appToken = base.createBase({ appToken: body?.appToken });
      const tables = (body?.tables ?? []).map((/** @type {any} */ t) =>
        base.createTable(appToken, { tableId: t.tableId, name: t.name, fields: t.sample ? SAMPLE_FIELDS : t.fields }),
      );
      return send(res, 200, { appToken, tables });
    }
    if (path === TEST_COLLECT_PATH) {
      const tag = String(query.get('tag'));
      if (req.method === 'POST') {
        collected.push({ tag, body });
        return send(res, 200, { ok: true });
      }
      return send(res, 200, collected.filter((c) => c.tag === tag).map((c) => c.body));
    }
    if (path === TEST_RECORDS_PATH) {
      return send(res, 200, base.records(String(query.get('app')), String(query.get('table'))));
    }
    if (req.method !== 'POST') {
      return path.startsWith('/open-apis/auth/')
        ? send(res, 405, { code: 405, msg: 'method not allowed' })
        : send(res, 404, { code: 404, msg: 'not found' });
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '') || typeof body !== 'object' || !body) {
      return send(res, 400, { code: 10003, msg: 'invalid param' });
    }
    const kind = TOKEN_PATHS[path];
    if (kind) return selfBuiltToken(res, kind, body);
    if (path === STORE_APP_TOKEN_PATH) return storeAppToken(res, body);
    if (path === STORE_TENANT_TOKEN_PATH) return storeTenantToken(res, body);
    if (path === RESEND_TICKET_PATH) return resendTicket(res, body);
    send(res, 404, { code: 404, msg: 'not found' });
  }

  /** The App ID and secret check every credential endpoint starts with; false when it answered. */
  function credentialsPass(/** @type {http.ServerResponse} */ res, /** @type {any} */ body, /** @type {Map<string, string>} */ registry) {
    const { app_id: appId, app_secret: appSecret } = body;
    /** @type {[number, object] | undefined} */
    let refusal;
    if (typeof appId !== 'string' || !registry.has(appId)) refusal = [200, { code: 10003, msg: 'invalid param' }];
    else if (rateLimited(appId)) refusal = [400, { code: 99991400, msg: 'request trigger frequency limit' }];
    else if (registry.get(appId) !== appSecret) refusal = [200, { code: 10014, msg: 'app secret invalid' }];
    if (refusal) send(res, ...refusal);
    return !refusal;
  }

  const expire = (/** @type {{ expiresAt: number }} */ held) => Math.floor(held.expiresAt - nowS());

  function selfBuiltToken(/** @type {http.ServerResponse} */ res, /** @type {'tenant' | 'app'} */ kind, /** @type {any} */ body) {
    if (!credentialsPass(res, body, apps)) return;
    const tenant = tokenFor(`tenant:${body.app_id}`, 't');
    if (kind === 'tenant') {
      return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: tenant.token, expire: expire(tenant) });
    }
    const app = tokenFor(`app:${body.app_id}`, 'a');
    send(res, 200, {
      code: 0,
      msg: 'ok',
      app_access_token: app.token,
      expire: expire(app),
      tenant_access_token: tenant.token,
    });
  }

  function storeAppToken(/** @type {http.ServerResponse} */ res, /** @type {any} */ body) {
    if (!credentialsPass(res, body, storeSecrets)) return;
    if (!validTickets.get(body.app_id)?.has(body.app_ticket)) {
      return send(res, 200, { code: 10012, msg: 'app_ticket is invalid' });
    }
    const app = tokenFor(`store-app:${body.app_id}`, 'a');
    liveStoreAppTokens.set(app.token, { appId: body.app_id, expiresAt: app.expiresAt });
    send(res, 200, { code: 0, msg: 'ok', app_access_token: app.token, expire: expire(app) });
  }

  function storeTenantToken(/** @type {http.ServerResponse} */ res, /** @type {any} */ body) {
    const held = liveStoreAppTokens.get(body.app_access_token);
    if (!held || held.expiresAt <= nowS()) return send(res, 400, { code: 99991664, msg: 'invalid app access token' });
    if (rateLimited(held.appId)) return send(res, 400, { code: 99991400, msg: 'request trigger frequency limit' });
    if (!options.storeApps?.[held.appId]?.tenants.includes(body.tenant_key)) {
      return send(res, 200, { code: 99991673, msg: 'app not installed in this tenant' });
    }
    const tenant = tokenFor(`store-tenant:${held.appId}:${body.tenant_key}`, 't');
    send(res, 200, { code: 0, msg: 'ok', tenant_access_token: tenant.token, expire: expire(tenant) });
  }

  /** Lark pushes a new app_ticket; the earlier ones stay valid, as they do for a while at Lark. */
  function resendTicket(/** @type {http.ServerResponse} */ res, /** @type {any} */ body) {
    if (!credentialsPass(res, body, storeSecrets)) return;
    const ticket = newTicket();
    validTickets.get(body.app_id)?.add(ticket);
    send(res, 200, { code: 0, msg: 'ok' });
    // Lark pushes the new ticket to the app's Request URL, when it has one.
    void events.pushTicket(body.app_id, ticket).catch(() => {});
  }

  function listRecords(/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res) {
    if (req.method !== 'GET') return send(res, 405, { code: 405, msg: 'method not allowed' });
    const refusal = checkToken(req.headers.authorization);
    if (refusal) return send(res, ...refusal);
    send(res, 200, { code: 0, msg: 'success', data: { has_more: false, page_token: '', total: DEMO_RECORDS.length, items: DEMO_RECORDS } });
  }

  function injectFault(/** @type {Fault} */ fault, /** @type {http.ServerResponse} */ res, /** @type {string} */ raw) {
    switch (fault) {
      case 'html500':
        res.writeHead(500, { 'Content-Type': 'text/html' });
        return res.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
      case 'http503':
        res.writeHead(503, { 'Content-Type': 'text/html' });
        return res.end('<html><body>503 Service Unavailable</body></html>');
      case 'invalid-json':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{"code":0,"msg":"ok","tenant_access_token":"t-trunc');
      case 'missing-fields':
        return send(res, 200, { code: 0, msg: 'ok' });
      case 'slow':
        return void setTimeout(() => send(res, 200, { code: 0, msg: 'ok', tenant_access_token: 't-late', expire: 7200 }), 1500);
      case 'redirect':
      case 'redirect301':
      case 'redirect307':
      case 'redirect308':
        res.writeHead(Number(fault.slice(8)) || 302, { Location: 'http://127.0.0.1:9/elsewhere' });
        return res.end();
      case 'endless': {
        // Chunked, with no Content-Length: only the client's cap ends it.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = `{"pad":"${'x'.repeat(64 * 1024)}`;
        const pump = () => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        return pump();
      }
      case 'code-string':
        return send(res, 200, { code: '0', msg: 'ok', tenant_access_token: 't-x', expire: 7200 });
      case 'expire-negative':
        return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: 't-x', expire: -5 });
      case 'expire-zero':
        return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: 't-x', expire: 0 });
      case 'expire-huge':
        return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: 't-x', expire: 1e12 });
      case 'empty-token':
        return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: '', expire: 7200 });
      case 'wrong-content-type': {
        const text = JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-plain-text', expire: 7200 });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end(text);
      }
      case 'oversized':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(`{"code":0,"msg":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      case 'echo-body':
        return send(res, 400, { code: 10014, msg: `bad request, body was: ${raw}` });
      case 'drip': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'reset':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        res.write('{"code":0,');
        return void setTimeout(() => res.destroy(), 20);
      case 'http429':
        res.writeHead(429, { 'Content-Type': 'text/plain', 'Retry-After': '1' });
        return res.end('Too Many Requests');
      case 'write-conflict':
        return send(res, 200, { code: 1254291, msg: 'Write conflict' });
      case 'too-many-requests':
        return send(res, 429, { code: 1254290, msg: 'TooManyRequest' });
    }
  }

  function send(
    /** @type {http.ServerResponse} */ res,
    /** @type {number} */ status,
    /** @type {object} */ json,
    /** @type {Record<string, string>} */ headers = {},
  ) {
    const text = JSON.stringify(json);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    /** Lark Base: bases, tables and records (lark-base-stand-in.js). */
    base,
    /** Lark Base requests `baseRateLimit` let through and refused. */
    baseRateLimit: baseRateLimitStats,
    /** Lark's events: subscriptions and deliveries (lark-events-stand-in.js). */
    events,
    /** What workflows posted to /stand-in/collect?tag=<tag>. */
    collected: (/** @type {string} */ tag) => collected.filter((c) => c.tag === tag).map((c) => c.body),
    /** Makes the next request meet this fault instead of a normal answer. */
    inject(/** @type {Fault} */ fault) {
      faults.push(fault);
    },
    /** Forgets faults that no request met. */
    clearFaults() {
      faults.length = 0;
    },
    /** Moves the stand-in's clock, and so the lifetime of the tokens it has issued. */
    /** The newest app_ticket Lark pushed to a store app. */
    appTicket(/** @type {string} */ appId) {
      return [...(validTickets.get(appId) ?? [])].at(-1);
    },
    advanceClock(/** @type {number} */ seconds) {
      clockOffsetS += seconds;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** The demo's base and table: the records of DEMO_RECORDS, which the old list route serves too. */
const DEMO_BASE = { appToken: 'bascnDemoBase', tableId: 'tblDemoTable' };

/**
 * Puts the demo's base in a stand-in: a table "Tasks" (Name, Status) holding DEMO_RECORDS.
 *
 * @param {Awaited<ReturnType<typeof startStandIn>>} standIn
 */
function seedDemoBase(standIn) {
  standIn.base.createBase({ appToken: DEMO_BASE.appToken, name: 'Demo' });
  standIn.base.createTable(DEMO_BASE.appToken, {
    tableId: DEMO_BASE.tableId,
    name: 'Tasks',
    fields: [
      { name: 'Name', type: 1, isPrimary: true },
      { name: 'Status', type: 3, property: { options: [{ name: 'Done', id: 'optDone', color: 0 }, { name: 'In progress', id: 'optProg', color: 1 }] } },
    ],
  });
  standIn.base.addRecords(DEMO_BASE.appToken, DEMO_BASE.tableId, DEMO_RECORDS.map((r) => r.fields), DEMO_RECORDS.map((r) => r.record_id));
}

module.exports = { startStandIn, seedDemoBase, DEMO_APP, DEMO_BASE, DEMO_RECORDS, TOKEN_PATHS, SAMPLE_FIELDS, sampleRow };

if (require.main === module) {
  const port = Number(process.argv[2] ?? 8787);
  const rateLimitPerSecond = Number(process.env.LARK_STAND_IN_RATE_LIMIT ?? 100);
  const writeLatencyMs = process.env.LARK_STAND_IN_WRITE_LATENCY_MS === undefined ? undefined : Number(process.env.LARK_STAND_IN_WRITE_LATENCY_MS);
  // A BaseRateLimit as JSON, e.g. {"perSecond":5,"status":429,"headers":"retry-after"}: the benchmarks'.
  const baseLimit = process.env.LARK_STAND_IN_BASE_RATE_LIMIT;
  const baseRateLimit = baseLimit ? /** @type {BaseRateLimit} */ (JSON.parse(baseLimit)) : undefined;
  startStandIn({ port, rateLimitPerSecond, writeLatencyMs, baseRateLimit }).then((standIn) => {
    seedDemoBase(standIn);
    console.log(`Lark stand-in on ${standIn.url} (demo App ID ${DEMO_APP.appId}; its secret is in the README)`);
  });
}
