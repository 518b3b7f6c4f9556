// @ts-check
'use strict';
// The package as users get it: what it loads, how it imports, and what the tarball carries.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/** @param {string[]} args */
const node = (...args) => execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });

test('loading the package, its node or its credential does not load or compile the wasm', () => {
  const loaded = node(
    '-e',
    `const pkg = require('./package.json');
     const api = require('.');
     for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) require('./' + file);
     const wasmLoaded = Object.keys(require.cache).some((file) => /larkbase_(get_token|base)/.test(file));
     console.log(JSON.stringify({ exports: Object.keys(api).sort(), wasmLoaded }));`,
  );
  assert.deepEqual(JSON.parse(loaded), {
    exports: [
      'clearTokenCache', 'createRecords', 'deleteRecords', 'getRecords', 'getToken', 'handleLarkEvent', 'isLarkbaseError',
      'isLarkbaseTokenError', 'larkbaseCall', 'listFields', 'listTables', 'maxEventBodyBytes', 'pollTable', 'rememberAppTicket',
      'resendAppTicket', 'searchRecords', 'subscribeBase', 'triggerColumns', 'updateRecords', 'upsertRecords',
      'wasmMemoryBytes',
    ],
    wasmLoaded: false,
  });
});

test('named imports work from ES modules', () => {
  const entry = path.join(ROOT, 'dist', 'js', 'index.js');
  const out = node(
    '--input-type=module',
    '-e',
    `import { getToken, isLarkbaseTokenError } from ${JSON.stringify(entry)};
     const error = await getToken({}).catch((e) => e);
     console.log(typeof getToken, isLarkbaseTokenError(error), error.code, error.field);`,
  );
  assert.equal(out.trim(), 'function true INVALID_PARAMS appId');
});

test('the tarball carries the node, the credential, the wasm, the glue and the types, and nothing else', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' }));
  const files = pack.files.map((/** @type {{ path: string }} */ f) => f.path).sort();
  assert.deepEqual(files, [
    'LICENSE',
    'README.md',
    'dist/js/credentials/LarkbaseApi.credentials.js',
    'dist/js/index.d.ts',
    'dist/js/index.js',
    'dist/js/n8n-support.js',
    'dist/js/nodes/Larkbase/Larkbase.node.js',
    'dist/js/nodes/Larkbase/Larkbase.node.json',
    'dist/js/nodes/Larkbase/larkbase.dark.svg',
    'dist/js/nodes/Larkbase/larkbase.svg',
    'dist/js/nodes/LarkbaseGetToken/LarkbaseGetToken.node.js',
    'dist/js/nodes/LarkbaseGetToken/LarkbaseGetToken.node.json',
    'dist/js/nodes/LarkbaseGetToken/larkbaseGetToken.dark.svg',
    'dist/js/nodes/LarkbaseGetToken/larkbaseGetToken.svg',
    'dist/js/nodes/LarkbaseTrigger/LarkbaseTrigger.node.js',
    'dist/js/nodes/LarkbaseTrigger/LarkbaseTrigger.node.json',
    'dist/js/nodes/LarkbaseTrigger/larkbaseTrigger.dark.svg',
    'dist/js/nodes/LarkbaseTrigger/larkbaseTrigger.svg',
    'dist/pkg/larkbase_base.d.ts',
    'dist/pkg/larkbase_base.js',
    'dist/pkg/larkbase_base_wasm.js',
    'dist/pkg/larkbase_get_token.d.ts',
    'dist/pkg/larkbase_get_token.js',
    'dist/pkg/larkbase_get_token_wasm.js',
    'package.json',
  ]);
  /** @type {Record<string, any>} */
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
  // n8n brings n8n-workflow; optional, so that npm, pnpm and yarn install nothing else for a library user.
  assert.deepEqual(pkg.peerDependencies, { 'n8n-workflow': '*' });
  assert.deepEqual(pkg.peerDependenciesMeta, { 'n8n-workflow': { optional: true } });
  assert.ok(pkg.keywords.includes('n8n-community-node-package'));
  assert.equal(pkg.engines.node, '>=20');
  for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) assert.ok(files.includes(file), file);
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(pkg.scripts?.[hook], undefined, `no ${hook} script`);
  }
});
