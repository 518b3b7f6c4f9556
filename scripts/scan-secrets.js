// @ts-check
'use strict';
// Fails when any canary App Secret used by the tests shows up in what the test run produced: the
// captured output of every step and the results and errors the node tests recorded.

const fs = require('node:fs');
const path = require('node:path');
const { CANARIES, ARTIFACTS } = require('../tests/helpers');

/** @param {string} dir @returns {string[]} */
const filesUnder = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });

const files = fs.existsSync(ARTIFACTS) ? filesUnder(ARTIFACTS) : [];
const recorded = files.filter((f) => f.endsWith('.jsonl'));
if (!files.some((f) => f.endsWith('test-output.log')) || recorded.length === 0) {
  console.error(`scan-secrets: nothing to scan in ${ARTIFACTS}; did the tests run?`);
  process.exit(1);
}

// An echoing server or a careless log may hold the secret raw or JSON-escaped.
const forms = CANARIES.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
const hits = files.flatMap((file) => {
  const text = fs.readFileSync(file, 'utf8');
  return forms.filter((form) => text.includes(form)).map(() => path.relative(process.cwd(), file));
});
const records = recorded.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);

if (hits.length > 0) {
  console.error(`scan-secrets: a canary App Secret appears in: ${[...new Set(hits)].join(', ')}`);
  process.exit(1);
}
console.log(`scan-secrets: ${CANARIES.length} canary secrets, ${files.length} files, ${records} recorded results and errors: no secret found`);
