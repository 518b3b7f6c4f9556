// @ts-check
'use strict';
// Node 20's V8 has been seen to crash a test file's process, rarely and only under load ("Fatal
// error ... unreachable code" in its deoptimizer, SIGTRAP), before any test of the file failed.
// Given the TAP output of `node --test`, this runs such files once more, and succeeds only if
// every failure was such a crash and every file passes the second time. Any other failure fails.
//
// Usage: node scripts/rerun-crashed.js <tap-log>

const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const log = fs.readFileSync(process.argv[2] ?? '', 'utf8');
const lines = log.split('\n');
/** Top-level failures: their names, and whether the process died of a signal. */
const failures = [];
for (const [at, line] of lines.entries()) {
  const failed = /^not ok \d+ - (.*)$/.exec(line);
  if (!failed) continue;
  const block = [];
  for (const next of lines.slice(at + 1)) {
    if (next.trim() === '...') break;
    block.push(next);
  }
  failures.push({ name: failed[1], signal: block.some((l) => /^\s+signal: 'SIG[A-Z]+'/.test(l)) });
}
const crashed = failures.filter((f) => f.signal && f.name.endsWith('.test.js'));
if (failures.length === 0 || crashed.length !== failures.length || !/Fatal error/.test(log)) {
  process.exit(1);
}
for (const { name } of crashed) {
  console.log(`rerun-crashed: ${name} died of a V8 crash, not a failed test; running it once more`);
  const again = spawnSync(process.execPath, ['--test', name], { stdio: 'inherit' });
  if (again.status !== 0) process.exit(1);
}
