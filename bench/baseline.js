// @ts-check
'use strict';
// The package as it was before issue 17's work (commit 528bc29), built once into the cache beside
// the n8n installs, outside the repository, so that a benchmark can load it and this checkout side
// by side in one process. A clone of this repository at that commit, built with its own
// scripts/build.sh (which installs its own dev tools there); a second run finds it built.
//
//   node bench/baseline.js      builds it if needed and prints its folder

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const COMMIT = '528bc29';
const CACHE = process.env.LARKBASE_CACHE ?? path.join(os.homedir(), '.cache', 'n8n-nodes-larkbase-get-token');
const DIR = path.join(CACHE, `bench-baseline-${COMMIT}`);
/** Written last, so that a build cut short is made again. */
const DONE = path.join(DIR, '.bench-baseline-built');

/** The baseline's package folder (require it for its JS entry), built if it is not yet. */
function ensureBaseline() {
  if (fs.existsSync(DONE)) return DIR;
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  const log = path.join(CACHE, `bench-baseline-${COMMIT}.log`);
  console.error(`(building the baseline, commit ${COMMIT}, into ${DIR}: a few minutes, once; log in ${log})`);
  const out = fs.openSync(log, 'w');
  try {
    execFileSync('git', ['clone', '--quiet', '--no-checkout', ROOT, DIR], { stdio: ['ignore', out, out] });
    execFileSync('git', ['checkout', '--quiet', COMMIT], { cwd: DIR, stdio: ['ignore', out, out] });
    execFileSync('bash', ['scripts/build.sh'], { cwd: DIR, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  fs.writeFileSync(DONE, `${COMMIT}\n`);
  return DIR;
}

module.exports = { COMMIT, ensureBaseline };

if (require.main === module) console.log(ensureBaseline());
