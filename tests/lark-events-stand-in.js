// @ts-check
'use strict';
// Lark's side of events, for the trigger's tests (LARK_API.md, Events): the subscription call
// (`POST /open-apis/drive/v1/files/:file_token/subscribe?file_type=bitable`), and deliveries as
// Lark makes them: schema 2.0 events and the older schema's app_ticket, plain or encrypted with
// AES-256-CBC (key = SHA-256 of the Encrypt Key, a random IV before the ciphertext, PKCS#7) and
// signed (X-Lark-Signature = hex SHA-256 of timestamp + nonce + Encrypt Key + body). Built with
// node:crypto from Lark's documented algorithm, independently of the package's Rust code.
// Mounted by tests/lark-stand-in.js.

const crypto = require('node:crypto');

const SUBSCRIBE_PATH = /^\/open-apis\/drive\/v1\/files\/([^/]+)\/subscribe$/;

/**
 * Encrypts `plaintext` as Lark does for an app whose Encrypt Key is `key`.
 *
 * @param {string} key
 * @param {string} plaintext
 */
function encrypt(key, plaintext) {
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-cbc', crypto.createHash('sha256').update(key).digest(), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** @param {string} timestamp @param {string} nonce @param {string} key @param {Buffer} body */
function sign(timestamp, nonce, key, body) {
  return crypto.createHash('sha256').update(timestamp + nonce + key).update(body).digest('hex');
}

/**
 * A request as Lark would send it: the body (encrypted when the app has an Encrypt Key) and the
 * signature headers (with an Encrypt Key). `at` moves the request's time (seconds from now).
 *
 * @param {object} event the plaintext event
 * @param {{ encryptKey?: string, at?: number }} [app]
 */
function seal(event, { encryptKey, at = 0 } = {}) {
  const text = JSON.stringify(event);
  const body = Buffer.from(encryptKey ? JSON.stringify({ encrypt: encrypt(encryptKey, text) }) : text);
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json; charset=utf-8' };
  if (encryptKey) {
    const timestamp = String(Math.floor(Date.now() / 1000) + at);
    const nonce = crypto.randomBytes(8).toString('hex');
    Object.assign(headers, {
      'X-Lark-Request-Timestamp': timestamp,
      'X-Lark-Request-Nonce': nonce,
      'X-Lark-Signature': sign(timestamp, nonce, encryptKey, body),
    });
  }
  return { body, headers };
}

/** @param {string} url @param {{ body: Buffer, headers: Record<string, string> }} request */
async function post(url, { body, headers }) {
  const response = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

const newEventId = () => crypto.randomBytes(16).toString('hex');

/**
 * A schema 2.0 event.
 *
 * @param {string} eventType
 * @param {object} event
 * @param {{ token: string, appId: string, eventId?: string, createdAt?: number }} app
 */
function schema2(eventType, event, { token, appId, eventId = newEventId(), createdAt = Date.now() }) {
  return {
    schema: '2.0',
    header: { event_id: eventId, event_type: eventType, create_time: String(createdAt), token, app_id: appId, tenant_key: 'tenant-stand-in' },
    event,
  };
}

/** The url_verification request Lark sends when a Request URL is saved. */
function challenge(/** @type {string} */ token, challengeText = crypto.randomBytes(12).toString('hex')) {
  return { challenge: challengeText, token, type: 'url_verification' };
}

/** The older schema's app_ticket event, pushed about hourly and after app_ticket/resend. */
function appTicketEvent(/** @type {{ token: string, appId: string, appTicket: string }} */ { token, appId, appTicket }) {
  return {
    uuid: newEventId(),
    token,
    ts: (Date.now() / 1000).toFixed(3),
    type: 'event_callback',
    event: { app_id: appId, app_ticket: appTicket, type: 'app_ticket' },
  };
}

/**
 * A cell as a record event carries it: the value JSON-encoded in the form Lark reads records out
 * in (text as rich-text segments), and for persons who they are.
 *
 * @param {{ field_id: string, type: number }} field
 * @param {unknown} value the value as written (the stand-in's stored form)
 */
function eventCell(field, value) {
  /** @type {Record<string, unknown>} */
  const cell = { field_id: field.field_id };
  if (value === undefined || value === null) return { ...cell, field_value: '' };
  let read = value;
  if (field.type === 1 && typeof value === 'string') read = [{ type: 'text', text: value }];
  cell.field_value = JSON.stringify(read);
  if (field.type === 11 && Array.isArray(value)) {
    cell.field_identity_value = {
      users: value.map((p) => ({ user_id: { open_id: p.id, union_id: `on_${p.id}`, user_id: `u_${p.id}` }, name: `Name of ${p.id}`, en_name: '' })),
    };
  }
  return cell;
}

/**
 * Lark's side: which files each app subscribed to, and the Request URL of each app, where events
 * and app_tickets go.
 *
 * @param {{ checkToken: (authorization: string | undefined) => [number, object] | undefined,
 *   fields: (appToken: string, tableId: string) => Array<{ field_id: string, field_name: string, type: number }>,
 *   hasBase: (appToken: string) => boolean }} base
 */
function createEvents(base) {
  /** @type {Array<{ fileToken: string, authorization: string }>} */
  const subscriptions = [];
  /** @type {Map<string, { url: string, token: string, encryptKey?: string }>} */
  const apps = new Map();

  /**
   * The subscribe call; false when the path is not one of ours.
   *
   * @param {{ method: string, path: string, query: URLSearchParams, authorization: string | undefined }} req
   * @param {(status: number, json: object) => void} reply
   */
  function handle(req, reply) {
    const match = SUBSCRIBE_PATH.exec(req.path);
    if (!match || req.method !== 'POST') return false;
    const refusal = base.checkToken(req.authorization);
    if (refusal) {
      reply(...refusal);
      return true;
    }
    if (req.query.get('file_type') !== 'bitable') {
      reply(400, { code: 1061002, msg: 'params error: file_type' });
      return true;
    }
    if (!base.hasBase(match[1])) {
      // What Lark answers when the app cannot open the file.
      reply(403, { code: 1063002, msg: 'Permission denied: the app has no access to this file' });
      return true;
    }
    subscriptions.push({ fileToken: match[1], authorization: String(req.authorization) });
    reply(200, { code: 0, msg: 'success', data: {} });
    return true;
  }

  /**
   * A record change event for `changes` in a table of the Lark Base stand-in, cells by column name.
   *
   * @param {{ appToken: string, tableId: string, changes: Array<{ recordId: string, action: 'record_added' | 'record_edited' | 'record_deleted',
   *   before?: Record<string, unknown>, after?: Record<string, unknown> }>, operator?: string }} change
   */
  function recordChanged({ appToken, tableId, changes, operator = 'ou_operator0001' }) {
    const fields = base.fields(appToken, tableId);
    const cells = (/** @type {Record<string, unknown> | undefined} */ values) =>
      values === undefined
        ? undefined
        : Object.entries(values).map(([name, value]) => {
            const field = fields.find((f) => f.field_name === name);
            if (!field) throw new Error(`no column ${name}`);
            return eventCell(field, value);
          });
    return {
      file_token: appToken,
      file_type: 'bitable',
      table_id: tableId,
      revision: 1,
      operator_id: { open_id: operator, union_id: `on_${operator}`, user_id: `u_${operator}` },
      update_time: Math.floor(Date.now() / 1000),
      action_list: changes.map((c) => ({
        record_id: c.recordId,
        action: c.action,
        ...(c.before ? { before_value: cells(c.before) } : {}),
        ...(c.after ? { after_value: cells(c.after) } : {}),
      })),
    };
  }

  return {
    handle,
    subscriptions,
    recordChanged,
    /** Where Lark sends an app's events: its Request URL, Verification Token and Encrypt Key. */
    setRequestUrl(/** @type {string} */ appId, /** @type {{ url: string, token: string, encryptKey?: string }} */ app) {
      apps.set(appId, app);
    },
    /**
     * Delivers an event to the app's Request URL, sealed as Lark does.
     *
     * @param {string} appId
     * @param {(app: { token: string, appId: string }) => object} make
     */
    async push(appId, make) {
      const app = apps.get(appId);
      if (!app) throw new Error(`no Request URL for ${appId}`);
      return post(app.url, seal(make({ token: app.token, appId }), { encryptKey: app.encryptKey }));
    },
    /** Pushes an app_ticket as Lark does after app_ticket/resend; nothing when no URL is set. */
    pushTicket(/** @type {string} */ appId, /** @type {string} */ appTicket) {
      const app = apps.get(appId);
      if (!app) return Promise.resolve(undefined);
      return post(app.url, seal(appTicketEvent({ token: app.token, appId, appTicket }), { encryptKey: app.encryptKey }));
    },
  };
}

module.exports = { createEvents, seal, sign, encrypt, post, schema2, challenge, appTicketEvent, eventCell, newEventId };
