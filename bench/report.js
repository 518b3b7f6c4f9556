// @ts-check
'use strict';
// What the benchmarks share: the tables they print, and the Lark stand-in in a process of its
// own (so that neither its work nor its memory is counted with the client's).

const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

const fmt = (/** @type {number} */ n, digits = 1) => n.toFixed(digits);

/** Prints a Markdown table with a header row. @param {string} title @param {string[]} header @param {Array<Array<string | number>>} rows */
function table(title, header, rows) {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

/**
 * @typedef {{ tokenRequests: number, baseRequests: number, base: { writeConflicts: number, byAction: Record<string, number> },
 *   baseRateLimit: { passed: number, refused: number } }} StandInStats
 */

/**
 * `tests/lark-stand-in.js` in its own process on a random port, its rate limit off.
 *
 * @param {Record<string, string>} [env] more settings for the stand-in
 */
async function startStandInProcess(env = {}) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [path.join(ROOT, 'tests', 'lark-stand-in.js'), String(port)], {
    env: { ...process.env, LARK_STAND_IN_RATE_LIMIT: '100000000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    /** How many token requests the stand-in has answered. */
    async tokenRequests() {
      const stats = await (await fetch(`${url}/stand-in/stats`)).json();
      return /** @type {number} */ (stats.tokenRequests);
    },
    /** Everything the stand-in counts (`/stand-in/stats`): token and Lark Base requests, its rate limit's. */
    async stats() {
      return /** @type {StandInStats} */ (await (await fetch(`${url}/stand-in/stats`)).json());
    },
    stop: () => child.kill(),
  };
}

module.exports = { fmt, startStandInProcess, table };
