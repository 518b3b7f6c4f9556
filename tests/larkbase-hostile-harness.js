// @ts-check
'use strict';
// What the hostile Lark Base tests (tests/larkbase-hostile*.test.js) share: a world of two
// stand-ins, the ordinary one (lark-stand-in.js), where calls of another app must go on unaffected
// while a hostile call runs, and the hostile one (lark-base-hostile.js); time bounds; and the
// search for the App Secret and the access tokens in whatever a call gave back, in every spelling
// the issue names, pieces of them included.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const util = require('node:util');
const { performance } = require('node:perf_hooks');
const lb = require('..');
const { startStandIn, SAMPLE_FIELDS } = require('./lark-stand-in');
const { startHostile } = require('./lark-base-hostile');
const { SECRETS, record } = require('./helpers');
const { secretsIn } = require('./secret-forms');

/** What a bound allows beyond a call's deadline, on a loaded machine. */
const SLACK_MS = 3000;
/** The hostile app's App Secret: the server is sent it for its tokens, and echoes it back. */
const SECRET = SECRETS.hostile;
const HOSTILE_BASE = 'bascnHostileBase01';
const ORDINARY_BASE = 'bascnOrdinaryBase1';
const ORDINARY_TABLE = 'tblOrdinary000001';
/** The other app: its Lark Base calls and token calls go to the ordinary stand-in. */
const OTHER = { appId: 'cli_ordinary_base_01', appSecret: SECRETS.main };
const OTHER_TOKENS = { appId: 'cli_ordinary_tokens1', appSecret: SECRETS.other };
/** A piece of a secret this long, anywhere, counts as showing it. */
const PIECE = 16;

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @template T @param {Promise<T>} promise @param {number} ms @param {string} label */
function within(promise, ms, label) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/** Exceptions that escaped a call: each test file asserts there are none. */
function watchEscapes() {
  const escaped = /** @type {unknown[]} */ ([]);
  process.on('uncaughtException', (error) => escaped.push(error));
  process.on('unhandledRejection', (error) => escaped.push(error));
  return () => assert.deepEqual(escaped.map(String), [], 'nothing escaped as an uncaught exception');
}

/**
 * Text as the issue says a secret must be searched for: control, format, zero-width and combining
 * characters and fillers removed, width folded (NFKC), lower case.
 *
 * @param {string} text
 */
const fold = (text) => text.normalize('NFKC').replace(/[\p{C}\p{M}\p{Z}\u115F\u1160\u3164\uFFA0\u2800]/gu, '').toLowerCase();

/** @param {unknown} value */
function shownText(value) {
  let json;
  try {
    json = JSON.stringify(value instanceof Error ? { ...value, message: value.message } : value);
  } catch {
    json = '';
  }
  return [util.inspect(value, { depth: 8, showHidden: true, maxStringLength: Infinity }), json, String(value), value instanceof Error ? value.stack : ''].join('\n');
}

/**
 * Which of `secrets` `value` shows: in any spelling of tests/secret-forms.js, in those after the
 * issue's folding, or a piece of `PIECE` characters of one, as it is or folded.
 *
 * @param {unknown} value @param {string[]} secrets
 */
function secretsShown(value, secrets) {
  const text = shownText(value);
  const folded = fold(text);
  const found = new Set([...secretsIn(text, secrets), ...secretsIn(folded, secrets)]);
  for (const secret of secrets) {
    for (let at = 0; at + PIECE <= secret.length; at++) {
      const piece = secret.slice(at, at + PIECE);
      if (text.includes(piece) || folded.includes(fold(piece))) found.add(secret);
    }
  }
  return [...found];
}

/**
 * Asserts that `value` shows none of `secrets`; a list is searched element by element, each text
 * once (the items of a failed batch share their error).
 *
 * @param {string} label @param {unknown} value @param {string[]} secrets
 */
function assertNoSecret(label, value, secrets) {
  const values = Array.isArray(value) ? value : [value];
  const seen = new Set();
  for (const one of values) {
    const text = shownText(one);
    if (seen.has(text)) continue;
    seen.add(text);
    const shown = secretsShown(one, secrets);
    assert.deepEqual(
      shown.map((s) => `${s.slice(0, 6)}…`),
      [],
      `${label}: a secret shows in ${text.slice(0, 3000)}`,
    );
  }
}

/**
 * What is recorded of an outcome: long strings and lists cut short, so that a case of megabytes
 * does not make the record (and the secret scan after the run) as large. The whole outcome is
 * searched for secrets by the tests themselves.
 *
 * @param {unknown} value
 * @returns {unknown}
 */
function bounded(value, depth = 0) {
  if (typeof value === 'string') return value.length > 2000 ? `${value.slice(0, 2000)}… (${value.length} characters)` : value;
  if (Array.isArray(value)) {
    const shown = value.slice(0, 20).map((v) => bounded(v, depth + 1));
    return value.length > 20 ? [...shown, `… and ${value.length - 20} more`] : shown;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '…';
  /** @type {Record<string, unknown>} */
  const copy = {};
  if (value instanceof Error) Object.assign(copy, { name: value.name, message: bounded(value.message) });
  for (const key of Object.keys(value)) copy[key] = bounded(/** @type {Record<string, unknown>} */ (value)[key], depth + 1);
  return copy;
}

/** The errors a call gave: its rejection, or its items' errors. @param {{ ok: boolean, value?: any, error?: any }} outcome */
const errorsOf = (outcome) => (outcome.ok ? (outcome.value?.items ?? []).filter((/** @type {any} */ i) => i.error).map((/** @type {any} */ i) => i.error) : [outcome.error]);

/** Counts of the items' outcomes: `created`, `NOT_SENT`, ... @param {any} result */
function tally(result) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const item of result.items) {
    const key = item.error ? item.error.code : item.action;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function startWorld() {
  const normal = await startStandIn({
    apps: { [OTHER.appId]: OTHER.appSecret, [OTHER_TOKENS.appId]: OTHER_TOKENS.appSecret },
    rateLimitPerSecond: 1_000_000,
  });
  normal.base.createBase({ appToken: ORDINARY_BASE });
  normal.base.createTable(ORDINARY_BASE, { tableId: ORDINARY_TABLE, name: 'Ordinary', fields: SAMPLE_FIELDS });
  normal.base.addRecords(ORDINARY_BASE, ORDINARY_TABLE, [{ Key: 'O-1', Name: 'one' }, { Key: 'O-2' }, { Key: 'O-3' }]);
  const hostile = await startHostile();
  hostile.base.createBase({ appToken: HOSTILE_BASE });
  let tables = 0;
  let apps = 0;
  /** More hostile servers, for cases that run at once, each in a mode of its own. */
  /** @type {Array<Awaited<ReturnType<typeof startHostile>>>} */
  const extras = [];
  /** @type {string[]} */
  const tokensUsed = [];

  const world = {
    normal,
    hostile,
    /** Every access token given to a hostile call so far. */
    tokensUsed,
    /**
     * A fresh table of the sample columns on the hostile server, holding `rows`.
     *
     * @param {Array<Record<string, unknown>>} [rows]
     */
    table(rows = []) {
      const id = `tblHostile${String(++tables).padStart(6, '0')}`;
      hostile.base.createTable(HOSTILE_BASE, { tableId: id, name: id, fields: SAMPLE_FIELDS });
      const ids = rows.length > 0 ? hostile.base.addRecords(HOSTILE_BASE, id, rows) : [];
      return { id, ids };
    },
    /**
     * Params of a call to the hostile server with an access token of its own (so that each call
     * is an app of its own to the pace), and that token.
     *
     * @param {string} table @param {Record<string, unknown>} [extra]
     * @returns {any}
     */
    viaToken(table, extra = {}) {
      const accessToken = `t-${crypto.randomBytes(18).toString('hex')}`;
      tokensUsed.push(accessToken);
      return { base: HOSTILE_BASE, table, accessToken, domain: hostile.url, deadlineMs: 3000, ...extra };
    },
    /**
     * Params of a call to the hostile server with a credential (an app of its own, whose App
     * Secret is SECRET): its tokens come from the hostile server too.
     *
     * @param {string} table @param {Record<string, unknown>} [extra]
     * @returns {any}
     */
    viaCredential(table, extra = {}) {
      const appId = `cli_hostile_${String(++apps).padStart(8, '0')}`;
      return { base: HOSTILE_BASE, table, credential: { appId, appSecret: SECRET, domain: hostile.url }, deadlineMs: 3000, ...extra };
    },
    /** The secrets no hostile outcome may show: the App Secret, and the tokens handed out. */
    secrets() {
      const issued = hostile.requests.filter((r) => r.bearer !== undefined).map((r) => /** @type {string} */ (r.bearer));
      return [...new Set([SECRET, ...tokensUsed, ...issued])];
    },
    /**
     * One call of the other app, on the ordinary stand-in, that must succeed: a Lark Base search
     * with its credential (n even), or a token asked of Lark afresh (n odd).
     *
     * @param {number} n
     */
    async ordinary(n) {
      if (n % 2 === 0) {
        const found = await lb.searchRecords({
          base: ORDINARY_BASE,
          table: ORDINARY_TABLE,
          credential: { ...OTHER, domain: normal.url },
          deadlineMs: 30_000,
        });
        assert.deepEqual(
          found.records.map((r) => r.fields.Key),
          ['O-1', 'O-2', 'O-3'],
          'the other app read its records',
        );
      } else {
        const token = await lb.getToken({ ...OTHER_TOKENS, domain: normal.url, cache: false, timeoutMs: 30_000 });
        assert.match(token.access_token, /^t-/, 'the other app got a token');
      }
    },
    /**
     * Runs a hostile call while the other app keeps calling the ordinary stand-in (a search and
     * a token, in turn, until the hostile call ends): the hostile call must end within
     * `deadlineMs` and the slack, and every ordinary call must succeed. Records the outcome
     * (unless `keep: false`, for results that hold what the server echoed as data).
     *
     * @param {string} label
     * @param {() => Promise<any>} start
     * @param {{ deadlineMs?: number, keep?: boolean }} [options]
     * @returns {Promise<{ ok: boolean, value?: any, error?: any, elapsedMs: number, ordinaryRuns: number }>}
     */
    async alongside(label, start, { deadlineMs = 3000, keep = true } = {}) {
      const began = performance.now();
      const hostileCall = start().then(
        (value) => ({ ok: true, value, error: undefined }),
        (error) => ({ ok: false, value: undefined, error }),
      );
      let over = false;
      let runs = 0;
      const ordinaryCalls = (async () => {
        do {
          await world.ordinary(runs);
          runs++;
          await Promise.race([hostileCall, delay(150)]);
        } while (!over);
      })();
      try {
        const outcome = await within(hostileCall, deadlineMs + SLACK_MS, label);
        const elapsedMs = performance.now() - began;
        over = true;
        await within(ordinaryCalls, 60_000, `${label}: the other app's calls`);
        assert.ok(runs >= 1, `${label}: the other app called alongside`);
        record(`larkbase hostile: ${label}`, bounded(keep || !outcome.ok ? (outcome.ok ? outcome.value : outcome.error) : errorsOf(outcome)));
        assert.ok(elapsedMs <= deadlineMs + SLACK_MS, `${label}: ended after ${Math.round(elapsedMs)} ms`);
        return { ...outcome, elapsedMs, ordinaryRuns: runs };
      } finally {
        over = true;
        await ordinaryCalls.catch(() => {});
      }
    },
    /**
     * Another hostile server, in `mode`, with a table holding `rows`; and params of a call to it
     * with an access token of its own.
     *
     * @param {import('./lark-base-hostile').Mode} mode @param {Array<Record<string, unknown>>} [rows]
     */
    async another(mode, rows = [{ Key: 'A' }]) {
      const server = await startHostile();
      extras.push(server);
      server.base.createBase({ appToken: HOSTILE_BASE });
      server.base.createTable(HOSTILE_BASE, { tableId: 'tblAnother0000001', name: 'Another', fields: SAMPLE_FIELDS });
      server.base.addRecords(HOSTILE_BASE, 'tblAnother0000001', rows);
      server.setMode(mode);
      /** @param {Record<string, unknown>} [extra] @returns {any} */
      const params = (extra = {}) => {
        const accessToken = `t-${crypto.randomBytes(18).toString('hex')}`;
        tokensUsed.push(accessToken);
        return { base: HOSTILE_BASE, table: 'tblAnother0000001', accessToken, domain: server.url, deadlineMs: 3000, ...extra };
      };
      return { server, params };
    },
    close() {
      return Promise.all([normal.close(), hostile.close(), ...extras.map((e) => e.close())]);
    },
  };
  return world;
}

/**
 * Expects a call to have failed as a whole with `code`, as a typed LarkbaseError, showing no
 * secret of `secrets`.
 *
 * @param {string} label @param {{ ok: boolean, value?: any, error?: any }} outcome
 * @param {string} code @param {string[]} secrets
 */
function assertFailed(label, outcome, code, secrets) {
  assert.equal(outcome.ok, false, `${label}: should fail, gave ${util.inspect(outcome.value, { depth: 3 })?.slice(0, 500)}`);
  assert.ok(lb.isLarkbaseError(outcome.error), `${label}: a LarkbaseError, not ${outcome.error}`);
  assert.equal(outcome.error.code, code, `${label}: ${outcome.error.code} ${outcome.error.message}`);
  assertNoSecret(label, outcome.error, secrets);
}

module.exports = {
  SLACK_MS,
  SECRET,
  HOSTILE_BASE,
  OTHER,
  OTHER_TOKENS,
  delay,
  within,
  watchEscapes,
  fold,
  secretsShown,
  assertNoSecret,
  assertFailed,
  errorsOf,
  bounded,
  tally,
  startWorld,
};
