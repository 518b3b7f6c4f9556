// @ts-check
'use strict';
// Fills a Lark stand-in running in another process (bench/report.js) for the Lark Base
// benchmarks: a base with tables, a tenant token of the demo app, and records written straight
// through Lark Base's batch_create (not through the package under test), in Lark's write forms.

const { DEMO_APP } = require('../tests/lark-stand-in');

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

/**
 * The columns of a realistic table, `count` of them, cycling through the types people use most:
 * text, number, single select, multiple select, date, checkbox, person, phone, URL, text.
 *
 * @param {number} count
 * @returns {import('../tests/lark-base-stand-in').FieldSpec[]}
 */
function realisticFields(count) {
  const options = { options: ['Todo', 'Doing', 'Done'].map((name, i) => ({ name, id: `opt${name}`, color: i })) };
  const kinds = [
    { prefix: 'Name', type: 1 },
    { prefix: 'Amount', type: 2 },
    { prefix: 'Status', type: 3, property: options },
    { prefix: 'Tags', type: 4 },
    { prefix: 'Due', type: 5 },
    { prefix: 'Paid', type: 7 },
    { prefix: 'Owner', type: 11 },
    { prefix: 'Phone', type: 13 },
    { prefix: 'Website', type: 15 },
    { prefix: 'Notes', type: 1 },
  ];
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length];
    const round = Math.floor(i / kinds.length);
    return { name: i === 0 ? 'Key' : round === 0 ? kind.prefix : `${kind.prefix} ${round + 1}`, type: kind.type, property: kind.property, isPrimary: i === 0 };
  });
}

/**
 * Row `n` of a realistic table, every cell filled, in the form Lark's batch_create takes.
 *
 * @param {number} n
 * @param {import('../tests/lark-base-stand-in').FieldSpec[]} fields
 */
function realisticRow(n, fields) {
  /** @type {Record<string, unknown>} */
  const row = {};
  for (const [i, field] of fields.entries()) {
    if (i === 0) {
      row[field.name] = `K-${String(n).padStart(6, '0')}`;
      continue;
    }
    const v = n * 31 + i;
    row[field.name] = {
      1: field.name.startsWith('Notes') ? `Called on ${v % 28 + 1} March about the order; waiting for the signed quote (ref ${v}).` : `Nguyễn Văn ${v}`,
      2: Math.round(v * 137.5) / 100,
      3: ['Todo', 'Doing', 'Done'][v % 3],
      4: ['urgent', 'vip', 'north', 'south'].slice(0, 1 + (v % 4)),
      5: Date.UTC(2026, 0, 1) + (v % 365) * 86_400_000,
      7: v % 2 === 0,
      11: [{ id: `ou_${String(v).padStart(12, '0')}` }],
      13: `+84 9${String(v).padStart(8, '0')}`,
      15: { link: `https://example.com/orders/${v}`, text: `Order ${v}` },
    }[field.type];
  }
  return row;
}

/**
 * Creates a base with tables (`fields` given, or the stand-in's sample table).
 *
 * @param {string} url
 * @param {string} appToken
 * @param {Array<{ tableId: string, fields?: import('../tests/lark-base-stand-in').FieldSpec[] }>} tables
 */
async function createBase(url, appToken, tables) {
  const response = await fetch(`${url}/stand-in/bases`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ appToken, tables: tables.map((t) => ({ tableId: t.tableId, name: t.tableId, ...(t.fields ? { fields: t.fields } : { sample: true }) })) }),
  });
  if (!response.ok) throw new Error(`the stand-in did not create the base: HTTP ${response.status}`);
}

/** A tenant token of the demo app, straight from the stand-in's token endpoint. @param {string} url */
async function demoToken(url) {
  const response = await fetch(`${url}${TOKEN_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret }),
  });
  const answer = /** @type {{ tenant_access_token?: string }} */ (await response.json());
  if (!answer.tenant_access_token) throw new Error(`no token from the stand-in: ${JSON.stringify(answer)}`);
  return answer.tenant_access_token;
}

/**
 * Writes `rows` (Lark's write forms) into a table, 500 a batch; resolves with their record IDs.
 *
 * @param {string} url @param {string} token @param {string} appToken @param {string} tableId
 * @param {Array<Record<string, unknown>>} rows
 */
async function seedRecords(url, token, appToken, tableId, rows) {
  /** @type {string[]} */
  const ids = [];
  for (let at = 0; at < rows.length; at += 500) {
    const response = await fetch(`${url}/open-apis/bitable/v1/apps/${appToken}/tables/${tableId}/records/batch_create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ records: rows.slice(at, at + 500).map((fields) => ({ fields })) }),
    });
    const answer = /** @type {any} */ (await response.json());
    if (answer.code !== 0) throw new Error(`seeding ${tableId} failed: ${JSON.stringify(answer).slice(0, 300)}`);
    ids.push(...answer.data.records.map((/** @type {{ record_id: string }} */ r) => r.record_id));
  }
  return ids;
}

module.exports = { createBase, demoToken, realisticFields, realisticRow, seedRecords };
