// @ts-check
'use strict';
// Issue 17's memory figures: the process's RSS and the Lark Base module's WebAssembly memory at
// start, after hostile answers of each class (pages that never end, deep JSON, huge pages; this
// checkout only: the build before the work pages for ever on some of them), after a 10,000-row
// upsert, after a call that grows the module past 64 MiB, and after the next call (which finds
// the idle instance replaced, when it was). Each build in a fresh process of its own; the
// stand-ins (the ordinary one and the hostile one of the tests) each in another.
// RSS is read after two forced GCs; "peak" is the process's largest RSS so far.
//
//   node bench/limits-memory.js        (bench/limits.js runs it)

const { spawn } = require('node:child_process');
const path = require('node:path');
const { fmt, startStandInProcess, table } = require('./report');
const { createBase, demoToken, seedRecords } = require('./base-setup');
const { COMMIT, ensureBaseline } = require('./baseline');

const ROOT = path.join(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const UPSERT_ROWS = QUICK ? 2000 : 10_000;
const APP_TOKEN = 'bascnBenchMemory001';
const TABLES = { small: 'tblMemorySmall001', upsert: 'tblMemoryUpsert01', large: 'tblMemoryLarge001' };
const MiB = 1 << 20;

/**
 * The hostile answers, one class a row: the mode of tests/lark-base-hostile.js and the call.
 *
 * @type {Array<[string, Record<string, unknown>]>}
 */
const HOSTILE = [
  ['endless pages: a new page token and one record a page', { name: 'endless', tokens: 'new' }],
  ['endless pages: two page tokens in turn', { name: 'endless', tokens: 'alternate' }],
  ['endless pages: a page token of 4 MiB', { name: 'endless', tokens: 'huge' }],
  ['endless pages: 1,000 records more than asked for', { name: 'endless', tokens: 'new', extra: 1000 }],
  ['deep JSON: code nested 5,000 deep', { name: 'deep', field: 'code', shape: 'nested5000' }],
  ['deep JSON: has_more nested 100,000 deep', { name: 'deep', field: 'has_more', shape: 'nested100000' }],
  ['deep JSON: msg a million zeros', { name: 'deep', field: 'msg', shape: 'flat' }],
  ['an answer of 3 million tiny values', { name: 'deep', body: 'tiny' }],
  ['an answer of 17 MiB', { name: 'deep', body: 'big', mib: 17 }],
  ['huge pages: 500 records of 62 KB (31 MB), again and again', { name: 'deep', body: 'big-page' }],
];

/** Child: one build, measured point by point; prints one JSON line. @param {string} build @param {string} root */
async function measure(build, root) {
  // Every instance the entry makes of the Lark Base module, held weakly (a strong hold would keep
  // a retired instance's memory alive), so that the one that served a call can be read after the
  // entry has let it go.
  const glue = require(path.join(root, 'dist', 'pkg', 'larkbase_base.js'));
  /** @type {WeakRef<any>[]} */
  const made = [];
  const instantiate = glue.instantiate;
  glue.instantiate = (/** @type {any} */ onTrap) => {
    const instance = instantiate(onTrap);
    made.push(new WeakRef(instance));
    return instance;
  };
  /** The newest instance's memory, in MiB; 0 once it was collected. */
  const moduleMiB = () => (made.at(-1)?.deref()?.wasmMemoryBytes() ?? 0) / MiB;
  const lb = require(root);
  const gc = /** @type {() => void} */ (/** @type {any} */ (globalThis).gc);
  const point = (/** @type {string} */ label, /** @type {Record<string, unknown>} */ extra = {}) => {
    // The module first: a retired instance is gone after a GC.
    const wasmMiB = moduleMiB();
    gc();
    gc();
    return {
      label,
      rssMiB: process.memoryUsage().rss / MiB,
      peakMiB: process.resourceUsage().maxRSS / 1024,
      wasmMiB,
      instances: made.length,
      alive: made.filter((w) => w.deref() !== undefined).length,
      ...extra,
    };
  };
  const standIn = await startStandInProcess({ LARK_STAND_IN_WRITE_LATENCY_MS: '0' });
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let hostile;
  try {
    await createBase(standIn.url, APP_TOKEN, Object.values(TABLES).map((tableId) => ({ tableId })));
    const token = await demoToken(standIn.url);
    await seedRecords(standIn.url, token, APP_TOKEN, TABLES.small, Array.from({ length: 10 }, (_, n) => ({ Key: `K-${n}` })));
    const params = (/** @type {string} */ tableId) => ({ base: APP_TOKEN, table: tableId, accessToken: token, domain: standIn.url });
    const ordinary = async () => {
      const { records } = await lb.searchRecords(params(TABLES.small));
      if (records.length !== 10) throw new Error(`${build}: an ordinary search found ${records.length} records`);
    };
    const points = [];
    await ordinary();
    points.push(point('start: after one ordinary search'));

    const classes = [];
    if (build === 'now') {
      const child = spawn(process.execPath, [path.join(__dirname, 'hostile-process.js')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      hostile = child;
      const next = () => new Promise((resolve) => child.once('message', resolve));
      const { url } = /** @type {{ url: string }} */ (await next());
      /** Switches the hostile server's mode; resolves with the requests it had in the mode before. */
      const switchTo = async (/** @type {unknown} */ mode) => {
        child.send({ mode });
        return /** @type {{ requests: number }} */ (await next()).requests;
      };
      for (const [label, mode] of HOSTILE) {
        await switchTo(mode);
        const t0 = performance.now();
        const outcome = await lb
          .searchRecords({ base: 'bascnHostileBase01', table: 'tblHostile0000001', accessToken: 't-hostile-bench', domain: url, deadlineMs: 60_000 })
          .then(
            (/** @type {{ records: unknown[] }} */ r) => `${r.records.length} records`,
            (/** @type {any} */ e) => String(e?.code ?? e),
          );
        const seconds = (performance.now() - t0) / 1000;
        // The instance that served the call, before the next call replaces it.
        const grown = moduleMiB();
        classes.push(point(label, { outcome, seconds, grown, requests: await switchTo({ name: 'honest' }) }));
      }
      await ordinary();
      points.push(point('after the hostile answers, and one ordinary search'));
    }

    const rows = Array.from({ length: UPSERT_ROWS }, (_, n) => ({
      fields: { Key: `K-${String(n).padStart(6, '0')}`, Name: `Item ${n}`, Amount: n * 1.5, Status: n % 2 ? 'Done' : 'Todo', Due: Date.UTC(2026, 0, 1) + n * 3_600_000, Paid: n % 3 === 0 },
    }));
    const upsert = await lb.upsertRecords({ ...params(TABLES.upsert), keys: ['Key'], rows });
    const created = upsert.items.filter((/** @type {{ action?: string }} */ i) => i.action === 'created').length;
    if (created !== UPSERT_ROWS) throw new Error(`${build}: the upsert created ${created} of ${UPSERT_ROWS}`);
    points.push(point(`after a ${UPSERT_ROWS.toLocaleString('en')}-row upsert`));

    // 30 cells of 900,000 three-byte characters: 81 MB of cells, each under the entry's 1 MiB cap
    // and over Lark's 100,000 characters (the tests' way of growing the module past 64 MiB).
    const large = Array.from({ length: 30 }, (_, i) => ({ fields: { Key: `${i}`.padEnd(900_000, '中') } }));
    const grew = await lb.createRecords({ ...params(TABLES.large), rows: large }).then(
      (/** @type {{ items: any[] }} */ r) => r.items.map((i) => i.action ?? i.error?.code).join(',').replace(/^(\w+)(,\1)*$/, (_, w) => `all ${w}`),
      (/** @type {any} */ e) => String(e?.code ?? e),
    );
    points.push(point('after a create of 30 cells of 900,000 characters (81 MB)', { outcome: grew }));
    await ordinary();
    points.push(point('after the next ordinary search'));
    // A retired instance is let go only when nothing refers to it any more: the timer armed for
    // its last request's timeout (30 s by default) still does.
    await new Promise((resolve) => setTimeout(resolve, 32_000));
    points.push(point('32 s later (past the 30 s request timeout)'));
    console.log(JSON.stringify({ build, points, classes }));
  } finally {
    hostile?.disconnect();
    standIn.stop();
  }
}

/** Runs `measure` for a build in a fresh process. @param {string} build @param {string} root */
function inChild(build, root) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', __filename, '--child', build, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the memory benchmark of ${build} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
    });
  });
}

async function main() {
  if (process.argv[2] === '--child') return measure(process.argv[3], process.argv[4]);
  const before = `before (${COMMIT})`;
  const now = /** @type {any} */ (await inChild('now', ROOT));
  const old = /** @type {any} */ (await inChild(before, ensureBaseline()));
  const mib = (/** @type {number} */ n) => fmt(n, 1);
  table('Lark Base memory, this checkout: hostile answers one after the other, each a searchRecords with a 60 s deadline', [
    'hostile answer', 'outcome', 'requests', 'time (s)', 'module memory after the call (MiB)', 'RSS after GC (MiB)', 'peak RSS so far (MiB)', 'instances made so far',
  ], now.classes.map((/** @type {any} */ c) => [c.label, c.outcome, c.requests, fmt(c.seconds, 2), mib(c.grown), mib(c.rssMiB), mib(c.peakMiB), c.instances]));
  /** @type {Map<string, any>} */
  const oldPoints = new Map(old.points.map((/** @type {any} */ p) => [p.label, p]));
  table(`Lark Base memory, now against before (${COMMIT}): RSS after GC and the Lark Base module's memory (MiB), instances of the module made and still alive after GC`, [
    'point', 'now: RSS', 'now: module', 'now: instances made / alive', 'before: RSS', 'before: module', 'before: instances made / alive',
  ], now.points.map((/** @type {any} */ p) => {
    const o = oldPoints.get(p.label);
    return [p.label, mib(p.rssMiB), mib(p.wasmMiB), `${p.instances} / ${p.alive}`, o ? mib(o.rssMiB) : '-', o ? mib(o.wasmMiB) : '-', o ? `${o.instances} / ${o.alive}` : '-'];
  }));
  const outcome = (/** @type {any} */ run) => run.points.find((/** @type {any} */ p) => p.outcome)?.outcome;
  console.log(`\nThe 81 MB create: now ${outcome(now)}; before ${outcome(old)}. Peak RSS: now ${mib(now.points.at(-1).peakMiB)} MiB, before ${mib(old.points.at(-1).peakMiB)} MiB.`);
  console.log("The module's memory is that of the instance that served the point's last call (a retired one included); the next call's instance may be a fresh one.");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
