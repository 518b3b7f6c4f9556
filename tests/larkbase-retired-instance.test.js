// @ts-check
'use strict';
// A Lark Base instance retired for its size (the JS entry replaces an idle instance past 64 MiB)
// is collected once its calls have ended, not when the timers those calls armed would have fired:
// a finished call leaves no abort listener that leads back into the instance. Here a search grows
// the instance past the cap with a 1-hour deadline and 30 s request timeouts, and the instance's
// WebAssembly memory must be collected well before either. Before the fix, four such searches of
// 10,000 records by 100 columns in a row left RSS at 516 MB (131 MB after), each retired instance
// held until its deadline.
// In a file of its own, so that the test sees every instance the entry makes of the module.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const baseGlue = require('../dist/pkg/larkbase_base.js');

// A full collection on demand, as tests/load.test.js gets it.
require('node:v8').setFlagsFromString('--expose-gc');
const collect = require('node:vm').runInNewContext('gc');

/**
 * Every instance the entry made of the Lark Base module, oldest first, held weakly: its exports
 * and its WebAssembly memory, which is what a retired instance must give back. The memory is
 * found by watching `WebAssembly.Instance`, which the glue calls once per instance.
 *
 * @type {Array<WeakRef<any>>} their exports
 */
const made = [];
/** What of them the garbage collector took, as `<index> exports` and `<index> memory`. */
const collected = new Set();
const watch = new FinalizationRegistry((/** @type {string} */ what) => collected.add(what));
/** @type {WebAssembly.Instance | undefined} */
let constructed;
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args, newTarget) {
    constructed = Reflect.construct(target, args, newTarget);
    return /** @type {WebAssembly.Instance} */ (constructed);
  },
});
const instantiate = baseGlue.instantiate;
baseGlue.instantiate = (/** @type {any} */ onTrap) => {
  constructed = undefined;
  const exports = instantiate(onTrap);
  // (Set by the proxy above, during the call: TypeScript cannot see it.)
  const instance = /** @type {WebAssembly.Instance | undefined} */ (constructed);
  const memory = instance?.exports.memory;
  constructed = undefined;
  assert.ok(memory instanceof WebAssembly.Memory, 'the glue made its instance with WebAssembly.Instance');
  watch.register(exports, `${made.length} exports`);
  watch.register(memory, `${made.length} memory`);
  made.push(new WeakRef(exports));
  return exports;
};

const lb = require('..');
const { startStandIn, DEMO_APP } = require('./lark-stand-in');
const { record } = require('./helpers');

const MiB = 1 << 20;
/** 10,000 records of 100 text columns: one search grows the module past the 64 MiB cap. */
const RECORDS = 10_000;
const COLUMNS = 100;
/** How long the retired instance may take to be collected: far less than its timers' 30 s. */
const COLLECTED_WITHIN_MS = 10_000;
const rssMiB = () => Math.round(process.memoryUsage().rss / MiB);
/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let standIn;
/** @type {{ base: string, table: string }} */
let large;
/** @type {{ base: string, table: string }} */
let small;
const figures = /** @type {Record<string, unknown>} */ ({});

before(async () => {
  standIn = await startStandIn();
  const base = standIn.base.createBase({ name: 'Retired instance' });
  const fields = Array.from({ length: COLUMNS }, (_, i) => ({ name: `C${i}`, type: 1 }));
  large = { base, table: standIn.base.createTable(base, { name: 'Large', fields }) };
  standIn.base.addRecords(base, large.table, Array.from({ length: RECORDS }, (_, r) => Object.fromEntries(fields.map((f, c) => [f.name, `record ${r}, column ${c}: some text`]))));
  small = { base, table: standIn.base.createTable(base, { name: 'Small', fields: [{ name: 'Name', type: 1 }] }) };
  standIn.base.addRecords(base, small.table, [{ Name: 'one' }]);
});
after(async () => {
  await standIn.close();
  record('larkbase retired instance: memory figures', figures);
  console.log(`memory: ${JSON.stringify(figures)}`);
});

/** A search with the longest deadline there is and the default 30 s request timeout. */
const search = (/** @type {{ base: string, table: string }} */ where) =>
  lb.searchRecords({ ...where, credential: { appId: DEMO_APP.appId, appSecret: DEMO_APP.appSecret, domain: standIn.url }, deadlineMs: 3_600_000 });

test('a retired instance is collected once its calls end, well before the deadlines they set', async () => {
  const found = await search(large);
  assert.equal(found.records.length, RECORDS);
  assert.equal(made.length, 1);
  const grownMiB = Math.round(made[0].deref().wasmMemoryBytes() / MiB);
  assert.ok(grownMiB > 64, `the search grew the module past the 64 MiB cap (to ${grownMiB} MiB)`);
  const next = await search(small);
  assert.equal(next.records.length, 1);
  assert.equal(made.length, 2, 'the next call found a fresh instance');
  figures.retired = { wasmMiB: grownMiB, rssMiB: rssMiB() };
  // Collected is told by the registry, not by `deref()`, which would keep the memory for the
  // rest of the job it is called in.
  const began = Date.now();
  while (!collected.has('0 memory') && Date.now() - began < COLLECTED_WITHIN_MS) {
    collect();
    await delay(100);
  }
  figures.collected = { afterMs: collected.has('0 memory') ? Date.now() - began : null, rssMiB: rssMiB() };
  assert.ok(collected.has('0 memory'), `the retired instance's memory is still held ${COLLECTED_WITHIN_MS} ms after its last call ended`);
  assert.ok(collected.has('0 exports'), "the retired instance's exports are still held");
  assert.ok(!collected.has('1 memory'), 'the instance in use is kept');
});
