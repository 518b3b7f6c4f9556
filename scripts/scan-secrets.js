// @ts-check
'use strict';
// Fails when any canary App Secret used by the tests shows up, in any spelling, in what the test
// run produced: the captured output of every step and the results and errors the node tests
// recorded. The spellings are those the module withholds (tests/secret-forms.js): escaped as JSON,
// URL or HTML in any of their variants, case-folded, reversed, base64, hex, or split up by white
// space or zero-width characters.

const fs = require('node:fs');
const path = require('node:path');
const { CANARIES, E2E_SECRETS, ARTIFACTS } = require('../tests/helpers');
const { secretForms, readings } = require('../tests/secret-forms');

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

// The hundred bulk secrets share a prefix of 22 characters; every spelling of one of them holds
// the same spelling of the prefix, so the prefix stands for all of them.
const searched = [...CANARIES.filter((s) => !s.startsWith(E2E_SECRETS.bulkPrefix)), E2E_SECRETS.bulkPrefix];
const forms = searched.map((secret) => ({ secret, forms: secretForms(secret) }));
const texts = files.filter((f) => !/\.(png|jpe?g)$/.test(f));

const hits = texts.flatMap((file) => {
  const all = readings(fs.readFileSync(file, 'utf8'));
  return forms
    .filter(({ forms }) => forms.some((form) => all.some((reading) => reading.includes(form))))
    .map(({ secret }) => `${path.relative(process.cwd(), file)} (${secret.slice(0, 12)}...)`);
});
const records = recorded.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);

if (hits.length > 0) {
  console.error(`scan-secrets: a canary App Secret appears in: ${[...new Set(hits)].join(', ')}`);
  process.exit(1);
}
console.log(
  `scan-secrets: ${CANARIES.length} canary secrets in every spelling, ${texts.length} files, ${records} recorded results and errors: no secret found`,
);
