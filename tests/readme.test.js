// @ts-check
'use strict';
// The README's examples, run as they are written, against the local stand-in.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { startStandIn, DEMO_APP } = require('./lark-stand-in');
const { SECRETS, record } = require('./helpers');

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const APP_ID = 'cli_readme0000000001';
const STORE_APP_ID = 'cli_readme_store_0001';

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
before(async () => {
  lark = await startStandIn({
    apps: { [APP_ID]: SECRETS.main, [DEMO_APP.appId]: DEMO_APP.appSecret },
    storeApps: { [STORE_APP_ID]: { secret: SECRETS.other, tenants: ['tenant-readme'] } },
  });
});
after(() => lark.close());

/** The first fenced block of `lang` after `heading`. */
function codeBlock(/** @type {string} */ heading, /** @type {string} */ lang) {
  const section = README.slice(README.indexOf(heading));
  const match = section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'));
  assert.ok(match, `README has a ${lang} block after ${heading}`);
  return match[1];
}

/** @param {string[]} args @param {NodeJS.ProcessEnv} [env] */
async function runNode(args, env = {}) {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
  record(`readme: ${args.join(' ').slice(0, 60)}`, { stdout, stderr });
  return { stdout, stderr };
}

test('the "Use from Node.js" example prints a token', async () => {
  const example = codeBlock('## Use from Node.js', 'js').replace(
    "require('n8n-nodes-larkbase-get-token')",
    `require(${JSON.stringify(ROOT)})`,
  );
  const { stdout, stderr } = await runNode(['-e', example], {
    LARK_APP_ID: APP_ID,
    LARK_APP_SECRET: SECRETS.main,
    LARK_DOMAIN: lark.url,
  });
  assert.equal(stderr, '');
  assert.match(stdout, /^t-[0-9a-f]{32} expires in \d+ s\n$/);
});

test('the example reports a wrong secret with code, message and hint', async () => {
  const example = codeBlock('## Use from Node.js', 'js').replace(
    "require('n8n-nodes-larkbase-get-token')",
    `require(${JSON.stringify(ROOT)})`,
  );
  const { stderr } = await runNode(['-e', example], {
    LARK_APP_ID: APP_ID,
    LARK_APP_SECRET: SECRETS.wrong,
    LARK_DOMAIN: lark.url,
  });
  assert.match(stderr, /^AUTH_FAILED Lark returned code 10014: app secret invalid - check the App Secret/);
});

test('the one-line node -e call against the stand-in prints a token object', async () => {
  const oneLiner = codeBlock('## The two commands', 'sh').trim().replace('http://127.0.0.1:8787', lark.url);
  const script = oneLiner.match(/^node -e "(.*)"$/)?.[1];
  assert.ok(script, oneLiner);
  const { stdout } = await runNode(['-e', script]);
  assert.match(stdout, /access_token: 't-[0-9a-f]{32}'/);
  assert.match(stdout, /token_type: 'tenant_access_token'/);
});

test('the store-app example gets an app token, a tenant token and a ticket resend', async () => {
  const entry = path.join(ROOT, 'dist', 'js', 'index.js');
  const example = codeBlock('### Store (marketplace) apps', 'js')
    .replace("from 'n8n-nodes-larkbase-get-token'", `from ${JSON.stringify(entry)}`)
    .replace(/getToken\(\{ /g, 'getToken({ domain: process.env.LARK_DOMAIN, ')
    .replace('resendAppTicket({ ', 'resendAppTicket({ domain: process.env.LARK_DOMAIN, ')
    .replace('rememberAppTicket({ ', 'rememberAppTicket({ domain: process.env.LARK_DOMAIN, ');
  // The example's free variables, as a store app's event handler would have them; run as an ES
  // module, as written, for its top-level await.
  const script = `const appId = process.env.APP_ID, appSecret = process.env.APP_SECRET;
    const appTicket = process.env.APP_TICKET, tenantKey = 'tenant-readme';
    ${example}
    console.log(app.access_token, tenant.access_token, latest.access_token === tenant.access_token);`;
  const { stdout } = await runNode(['--input-type=module', '-e', script], {
    APP_ID: STORE_APP_ID,
    APP_SECRET: SECRETS.other,
    APP_TICKET: String(lark.appTicket(STORE_APP_ID)),
    LARK_DOMAIN: lark.url,
  });
  assert.match(stdout, /^a-[0-9a-f]{32} t-[0-9a-f]{32} true\n$/);
  assert.deepEqual(
    lark.requests.slice(-3).map((r) => r.path),
    ['/open-apis/auth/v3/app_access_token', '/open-apis/auth/v3/tenant_access_token', '/open-apis/auth/v3/app_ticket/resend'],
  );
});
