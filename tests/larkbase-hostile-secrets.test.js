// @ts-check
'use strict';
// Issue 17, class 3, against the built package: a Lark Base server that echoes the access token
// (given, or issued to a credential) and the App Secret (which the same host was sent for the
// token) back in any spelling, in `msg`, in field names that reach hints and messages, in record
// IDs, in table names and IDs, and in rate-limit headers. No error, item error or anything the
// tests record may show either, whole or in pieces; and while each runs, another app's calls on
// the ordinary stand-in go on unaffected. The hostile server is tests/lark-base-hostile.js.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const lb = require('..');
const { startWorld, watchEscapes, assertNoSecret, errorsOf, SECRET } = require('./larkbase-hostile-harness');

const noneEscaped = watchEscapes();
/** @type {Awaited<ReturnType<typeof startWorld>>} */
let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world.close();
  noneEscaped();
});

/** @param {string} s */
const fullWidth = (s) => [...s].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
/** @param {string} s */
const percent = (s) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** @param {string} s @param {string} by */
const splitOnce = (s, by) => `${s.slice(0, 5)}${by}${s.slice(5)}`;
/** @param {string} s @param {string} by */
const splitEvery = (s, by) => [...s].join(by);

/** The spellings the issue names. @type {Array<[string, (s: string) => string]>} */
const ISSUE_FORMS = [
  ['raw', (s) => s],
  ['base64', (s) => Buffer.from(s).toString('base64')],
  ['reversed', (s) => [...s].reverse().join('')],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['URL-escaped', (s) => encodeURIComponent(s).replace(/-/g, '%2D')],
  ['JSON-escaped', (s) => JSON.stringify(s).slice(1, -1).replace(/[a-z0-9]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)],
  ...['\u0000', '\u0001', '\u001f', '\u202a', '\u2066', '\ufe0f', '\u{e0020}', '\u3164', '\u0301'].map(
    (by) => /** @type {[string, (s: string) => string]} */ ([`split by U+${by.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`, (s) => splitOnce(s, by)]),
  ),
  ['in full width', fullWidth],
  ['in upper case', (s) => s.toUpperCase()],
];

/** Spellings of our own, each made of the issue's. @type {Array<[string, (s: string) => string]>} */
const OWN_FORMS = [
  ['base64url', (s) => Buffer.from(s).toString('base64url')],
  ['hex in upper case and full width', (s) => fullWidth(Buffer.from(s).toString('hex').toUpperCase())],
  ['every character percent-encoded', percent],
  ['HTML character references', (s) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join('')],
  ['JSON-escaped twice', (s) => JSON.stringify(JSON.stringify(s))],
  ['split by U+0001 after every character', (s) => splitEvery(s, '\u0001')],
  ['split by U+200B and U+FE0F in turn', (s) => [...s].map((c, i) => c + (i % 2 ? '\u200b' : '\ufe0f')).join('')],
  ['base64 split by NUL', (s) => splitEvery(Buffer.from(s).toString('base64'), '\u0000')],
  ['reversed in full width', (s) => fullWidth([...s].reverse().join(''))],
  ['mathematical bold letters', (s) => [...s].map((c) => (/[a-z]/.test(c) ? String.fromCodePoint(0x1d41a + c.charCodeAt(0) - 97) : c)).join('')],
];

/** Escapes whose own characters are split or widened: decoding must come after the folding. @type {Array<[string, (s: string) => string]>} */
const ESCAPES_FOLDED = [
  ['percent-encoded, in full width', (s) => fullWidth(percent(s))],
  ['percent-encoded, split by U+200B', (s) => splitEvery(percent(s), '\u200b')],
  ['percent-encoded, split by U+0001', (s) => splitEvery(percent(s), '\u0001')],
  ['JSON \\u escapes split by U+200B', (s) => splitEvery([...s].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join(''), '\u200b')],
  ['HTML character references in full width', (s) => fullWidth([...s].map((c) => `&#${c.charCodeAt(0)};`).join(''))],
];

/**
 * Who the call is and which of its secrets the server echoes: the given access token, the token
 * the credential was issued, or the credential's App Secret.
 *
 * @type {Array<[string, (table: string, extra?: Record<string, unknown>) => any, 'token' | 'app']>}
 */
const WHOSE = [
  ['the given access token', (t, extra) => world.viaToken(t, extra), 'token'],
  ["the credential's access token", (t, extra) => world.viaCredential(t, extra), 'token'],
  ["the credential's App Secret", (t, extra) => world.viaCredential(t, extra), 'app'],
];

/**
 * Runs `call` for every spelling and secret while the server echoes it `where`, and returns the
 * cases whose errors showed it.
 *
 * @param {Array<[string, (s: string) => string]>} forms
 * @param {Record<string, unknown>} where the echo mode's options
 * @param {(params: any) => Promise<any>} call
 * @param {(outcome: any, label: string) => void} [check] more about each outcome
 */
async function echoed(forms, where, call, check) {
  const { id } = world.table([{ Key: 'A' }, { Key: 'A' }]);
  const shown = [];
  for (const [form, spell] of forms) {
    for (const [whose, params, secret] of WHOSE) {
      const label = `${where.where}${where.padding ? ` after ${where.padding} characters` : ''}${where.padColumns ? ' as the 30th column' : ''}: ${whose}, ${form}`;
      world.hostile.setMode({ name: 'echo', secret, form: spell, ...where });
      const outcome = await world.alongside(label, () => call(params(id)), { keep: false });
      check?.(outcome, label);
      try {
        assertNoSecret(label, errorsOf(outcome), world.secrets());
      } catch {
        shown.push(label);
      }
    }
  }
  return shown;
}

/** @param {any} outcome @param {string} code @param {string} label */
const failedWith = (outcome, code, label) => {
  const codes = errorsOf(outcome).map((/** @type {any} */ e) => e.code);
  assert.ok(codes.length > 0 && codes.every((/** @type {string} */ c) => c === code), `${label}: ${codes.join(', ') || 'no error'}`);
};

test("the server's msg echoes a secret in every spelling the issue names: withheld everywhere", async () => {
  const shown = await echoed(ISSUE_FORMS, { where: 'msg' }, (p) => lb.searchRecords(p), (o, l) => failedWith(o, 'LARK_ERROR', l));
  assert.deepEqual(shown, []);
});

test("the server's msg echoes a secret in spellings of our own: withheld everywhere", async () => {
  const shown = await echoed(OWN_FORMS, { where: 'msg' }, (p) => lb.searchRecords(p), (o, l) => failedWith(o, 'LARK_ERROR', l));
  assert.deepEqual(shown, []);
});

test("the server's msg echoes a secret in a write batch's answer: no item error shows it", async () => {
  const shown = await echoed(ISSUE_FORMS.slice(0, 8), { where: 'msg', actions: ['batch_create'] }, (p) => lb.createRecords({ ...p, rows: [{ fields: { Key: 'x' } }, { fields: { Key: 'y' } }] }), (o, l) => failedWith(o, 'LARK_ERROR', l));
  assert.deepEqual(shown, []);
});

test("the server's msg echoes a secret after 900 or 5,000 other characters: withheld, or cut off before it", async () => {
  const shown = [
    ...(await echoed(ISSUE_FORMS.slice(0, 3), { where: 'msg', padding: 900 }, (p) => lb.searchRecords(p))),
    ...(await echoed(ISSUE_FORMS.slice(0, 3), { where: 'msg', padding: 5000 }, (p) => lb.searchRecords(p))),
  ];
  assert.deepEqual(shown, []);
});

test("the server's msg echoes a secret where a cut falls inside it (message, Lark's msg, the token module's texts): no piece of it shown", async () => {
  // Each cut of msg leaves 20 characters of the secret before it, more than a piece the search
  // counts; the hostile msg starts 'FieldNameNotFound: '.
  const shown = [];
  for (const cut of [200, 1000, 1200, 2000]) {
    const padding = cut - 'FieldNameNotFound: '.length - 20;
    shown.push(...(await echoed(ISSUE_FORMS.slice(0, 1), { where: 'msg', padding }, (p) => lb.searchRecords(p))));
  }
  assert.deepEqual(shown, []);
});

test("a credential with settings getToken alone would refuse (the call overrides them): the App Secret in msg is still withheld", async () => {
  const { id } = world.table([{ Key: 'A' }]);
  world.hostile.setMode({ name: 'echo', secret: 'app', form: (/** @type {string} */ s) => s, where: 'msg' });
  for (const odd of [{ timeoutMs: 400_000 }, { deadlineMs: 3_600_000 }, { deadlineMs: 0 }, { cache: 'false' }]) {
    const params = world.viaCredential(id);
    params.credential = { ...params.credential, ...odd };
    const label = `credential with ${JSON.stringify(odd)}`;
    const outcome = await world.alongside(label, () => lb.searchRecords(params), { keep: false });
    failedWith(outcome, 'LARK_ERROR', label);
    assertNoSecret(label, errorsOf(outcome), world.secrets());
  }
});

test('escapes written in full width or split by invisible characters are decoded after folding: withheld', async () => {
  const shown = await echoed(ESCAPES_FOLDED, { where: 'msg' }, (p) => lb.searchRecords(p), (o, l) => failedWith(o, 'LARK_ERROR', l));
  assert.deepEqual(shown, [], 'these spellings of a secret were shown in the error');
});

test('field names that echo a secret reach no hint or message: unknown columns, keys, nothing to write', async () => {
  const forms = [ISSUE_FORMS[0], ISSUE_FORMS[1], ISSUE_FORMS[3], ISSUE_FORMS[7], ISSUE_FORMS[15], ISSUE_FORMS[16]];
  const where = { where: 'field-name', column: 'Name' };
  const shown = [
    ...(await echoed(forms, where, (p) => lb.createRecords({ ...p, rows: [{ fields: { Nope: 'x' } }] }), (o, l) => failedWith(o, 'INVALID_VALUE', l))),
    ...(await echoed(forms, where, (p) => lb.createRecords({ ...p, unknownColumns: 'ignore', rows: [{ fields: { Nope: 'x' } }] }), (o, l) => failedWith(o, 'INVALID_VALUE', l))),
    ...(await echoed(forms, where, (p) => lb.upsertRecords({ ...p, keys: ['Nope'], rows: [{ fields: { Key: 'x' } }] }), (o, l) => failedWith(o, 'INVALID_PARAMS', l))),
  ];
  assert.deepEqual(shown, []);
});

test('a field name that echoes a secret after 5,000 other characters, or in the 30th of 30 long names, reaches no hint', async () => {
  const raw = [ISSUE_FORMS[0]];
  // The table's 13 columns, these 16, then the echo: the 30th, the last a hint lists.
  const padColumns = Array.from({ length: 16 }, (_, i) => `Column ${i} ${'p'.repeat(300)}`);
  const shown = [
    ...(await echoed(raw, { where: 'field-name', column: 'Name', padding: 5000 }, (p) => lb.createRecords({ ...p, rows: [{ fields: { Nope: 'x' } }] }))),
    ...(await echoed(raw, { where: 'field-name', column: 'Name', padding: 5000 }, (p) => lb.upsertRecords({ ...p, keys: ['Nope'], rows: [{ fields: { Key: 'x' } }] }))),
    ...(await echoed(raw, { where: 'field-name', padColumns }, (p) => lb.createRecords({ ...p, rows: [{ fields: { Nope: 'x' } }] }))),
  ];
  assert.deepEqual(shown, [], 'these secrets were shown in a hint or message');
});

test('record IDs that echo a secret reach no DUPLICATE_KEY message', async () => {
  const { id } = world.table([{ Key: 'A' }, { Key: 'A' }]);
  /** Access tokens that fit in a record ID, so that the server can echo them there. */
  const token = () => `tRecordCanary${crypto.randomBytes(8).toString('hex')}`;
  const shown = [];
  /** @type {Array<[string, (s: string) => string]>} */
  const forms = [['raw', (s) => s], ['in upper case', (s) => s.toUpperCase()], ['reversed', (s) => [...s].reverse().join('')], ['hex', (s) => Buffer.from(s).toString('hex')]];
  for (const [form, spell] of forms) {
    for (const [whose, params] of /** @type {Array<[string, () => any]>} */ ([
      ['a given access token', () => world.viaToken(id, { accessToken: token() })],
      ["a credential's App Secret", () => world.viaCredential(id)],
    ])) {
      const p = params();
      if (p.accessToken) world.tokensUsed.push(p.accessToken);
      const label = `record ID echoes ${whose}, ${form}`;
      world.hostile.setMode({ name: 'echo', where: 'record-id', secret: p.accessToken ? 'token' : 'app', form: spell });
      const outcome = await world.alongside(label, () => lb.upsertRecords({ ...p, keys: ['Key'], rows: [{ fields: { Key: 'A', Amount: 1 } }] }));
      const codes = errorsOf(outcome).map((/** @type {any} */ e) => e.code);
      assert.ok(codes.length === 1 && ['DUPLICATE_KEY', 'BAD_RESPONSE'].includes(codes[0]), `${label}: ${codes}`);
      try {
        assertNoSecret(label, errorsOf(outcome), world.secrets());
      } catch {
        shown.push(label);
      }
    }
  }
  assert.deepEqual(shown, []);
});

test('an upsert lookup that lists the record under a key holding a secret: no piece of it in the DUPLICATE_KEY message', async () => {
  const shown = [];
  for (const [whose, params, secretOf] of /** @type {Array<[string, (t: string) => any, (p: any) => string]>} */ ([
    ['a given access token', (t) => world.viaToken(t), (p) => p.accessToken],
    ["a credential's App Secret", (t) => world.viaCredential(t), () => SECRET],
  ])) {
    for (const padding of [0, 40]) {
      const { id } = world.table([{ Key: 'A' }]);
      const p = params(id);
      const label = `lookup lists the record under another key: ${padding} characters, then ${whose}`;
      world.hostile.setMode({ name: 'pairing', lookup: 'two-keys', otherKey: `${'x'.repeat(padding)}${secretOf(p)}` });
      const outcome = await world.alongside(label, () => lb.upsertRecords({ ...p, keys: ['Key'], rows: [{ fields: { Key: 'A', Amount: 1 } }] }));
      assert.equal(outcome.value.items[0].error?.code, 'DUPLICATE_KEY', label);
      try {
        assertNoSecret(label, errorsOf(outcome), world.secrets());
      } catch {
        shown.push(`${label}: ${outcome.value.items[0].error.message}`);
      }
    }
  }
  assert.deepEqual(shown, [], 'a piece of the secret was shown');
});

test('table IDs and names that echo a secret: an ID no Lark table has is refused with fixed words; a name is data', async () => {
  const forms = ISSUE_FORMS.slice(0, 4);
  const refused = await echoed(forms, { where: 'table-id' }, (p) => lb.listTables(p), (o, l) => failedWith(o, 'BAD_RESPONSE', l));
  assert.deepEqual(refused, []);
  const named = await echoed(forms, { where: 'table-name' }, (p) => lb.listTables(p), (o, l) => {
    assert.ok(o.ok, `${l}: ${o.error}`);
    assert.ok(o.value.tables.some((/** @type {any} */ t) => t.table_id === 'tblEchoed0001'), `${l}: the table is listed`);
  });
  assert.deepEqual(named, []);
});

test('Retry-After and rate-limit headers that echo a secret: the call goes on when they stop, and no error shows them', async () => {
  /** @type {Array<[string, (s: string) => string]>} */
  const forms = [ISSUE_FORMS[0], ISSUE_FORMS[1]];
  const passing = await echoed(forms, { where: 'headers', refusals: 1 }, (p) => lb.searchRecords({ ...p, deadlineMs: 8000 }), (o, l) => assert.ok(o.ok, `${l}: ${o.error?.message}`));
  assert.deepEqual(passing, []);
  // RATE_LIMITED, or TIMEOUT when the last try had too little time left (see the answers tests).
  const refusing = await echoed(forms.slice(0, 1), { where: 'headers' }, (p) => lb.searchRecords({ ...p, deadlineMs: 1000 }), (o, l) => {
    const codes = errorsOf(o).map((/** @type {any} */ e) => e.code);
    assert.ok(codes.length === 1 && ['RATE_LIMITED', 'TIMEOUT'].includes(codes[0]), `${l}: ${codes}`);
  });
  assert.deepEqual(refusing, []);
});
