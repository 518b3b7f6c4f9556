// @ts-check
'use strict';
// Shared by the node tests: the canary secrets, and the record of everything the tests saw, which
// scripts/scan-secrets.js searches for those secrets after the run.

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

/**
 * Distinctive App Secrets, each used only in tests. Quotes, slashes and backslashes check that an
 * echoed secret is caught in its escaped forms too.
 */
const SECRETS = {
  main: 'CanarySecret-7f3a9c2e-main-0001',
  other: 'CanarySecret-1b8d4e6f-other/0002',
  escaped: 'Canary"Secret\\5c0e-esc/0003',
  wrong: 'CanarySecret-0d9e8f7a-wrong-0004',
  hostile: 'CanaryHostile-4d9b2e7a-secret-0005',
};

/** The end-to-end tests' secrets: one per way a secret reaches real n8n. */
const E2E_SECRETS = {
  fields: 'CanaryE2E-fields-secret-5a1c',
  credential: 'CanaryE2E-credential-secret-9d2e',
  wrong: 'CanaryE2E-wrong-secret-3f7b',
  store: 'CanaryE2E-store-secret-7c4d',
  /** The Larkbase node's tests in real n8n (tests/e2e/larkbase.test.js). */
  larkbase: 'CanaryE2E-larkbase-secret-4e8a',
  /** Bulk app n's secret is this prefix and n, put together by an n8n expression. */
  bulkPrefix: 'CanaryE2E-bulk-secret-',
  bulk: (/** @type {number} */ n) => `CanaryE2E-bulk-secret-${n}`,
  all: () => [
    E2E_SECRETS.fields,
    E2E_SECRETS.credential,
    E2E_SECRETS.wrong,
    E2E_SECRETS.store,
    E2E_SECRETS.larkbase,
    ...Array.from({ length: 100 }, (_, n) => E2E_SECRETS.bulk(n)),
  ],
};

/** The Larkbase Trigger's event secrets (Verification Token, Encrypt Key), in its tests. */
const EVENT_SECRETS = {
  verificationToken: 'CanaryVerify-6c2e-token-0006',
  encryptKey: 'CanaryEncrypt-8f1a-key-0007',
  e2eVerificationToken: 'CanaryE2EVerify-3b7d-token',
  e2eEncryptKey: 'CanaryE2EEncrypt-5e9c-key',
  trigger: 'CanaryTrigger-secret-2d4f-0008',
  e2eTrigger: 'CanaryE2E-trigger-secret-7a1c',
};

/** The queue-mode test's App Secret (tests/e2e/queue.test.js), kept in the credential only. */
const QUEUE_SECRET = 'CanaryQueue-credential-secret-6b1e';

/**
 * Every secret the suite uses, for scripts/scan-secrets.js: these, the end-to-end ones, the Rust
 * tests' and the demo app's (the browser test runs the demo).
 */
const CANARIES = [
  ...Object.values(SECRETS),
  ...E2E_SECRETS.all(),
  QUEUE_SECRET,
  ...Object.values(EVENT_SECRETS),
  'WasmCanarySecret-3e1f0a9b',
  'FlowSecret-1-0123456789',
  'RobustCanary-5e7d-0123456789',
  's3cr3t-Value-0123456789abcdefABCD',
  'TopSecret99-0123456789',
  'LoadCanary-secret',
  require('./lark-stand-in').DEMO_APP.appSecret,
];

const ARTIFACTS = path.join(__dirname, 'artifacts');

/**
 * Appends what a test observed (a result, an error, captured output) to tests/artifacts, in every
 * form a person or a log could see it.
 *
 * @template T
 * @param {string} label
 * @param {T} value
 * @returns {T}
 */
function record(label, value) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shown = {
    label,
    inspect: util.inspect(value, { depth: 6, showHidden: true }),
    json: safeJson(value),
    text: String(value),
    stack: value instanceof Error ? value.stack : undefined,
  };
  fs.appendFileSync(path.join(ARTIFACTS, `${path.basename(process.argv[1] ?? 'node')}.jsonl`), `${JSON.stringify(shown)}\n`);
  return value;
}

/** @param {unknown} value */
function safeJson(value) {
  try {
    return JSON.stringify(value instanceof Error ? { ...value, message: value.message, name: value.name } : value);
  } catch (error) {
    return `unserialisable: ${error}`;
  }
}

/**
 * Runs a getToken call and records its outcome, whichever way it goes.
 *
 * @template T
 * @param {string} label
 * @param {() => Promise<T>} call
 * @returns {Promise<{ ok: true, value: T } | { ok: false, error: any }>}
 */
async function outcome(label, call) {
  try {
    return { ok: true, value: /** @type {T} */ (record(label, await call())) };
  } catch (error) {
    return { ok: false, error: record(label, error) };
  }
}

module.exports = { SECRETS, E2E_SECRETS, EVENT_SECRETS, QUEUE_SECRET, CANARIES, ARTIFACTS, record, outcome };
