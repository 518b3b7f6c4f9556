// @ts-check
'use strict';
// The package as a user installs it: a plain `npm install` of the packed tarball into an empty
// project, on Node.js 20 and 24, and `bun add` for Bun; then, from that project and against the
// local stand-in, the README's CommonJS and ESM examples, a TypeScript type-check, and the ESM
// example under Deno and Bun. Each runtime's row in the README's "Runtimes" table is checked here.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { startStandIn } = require('./lark-stand-in');
const { SECRETS, record } = require('./helpers');
const { packTarball } = require('./e2e/n8n-harness');

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PACKAGE_NAME = 'n8n-nodes-larkbase-get-token';
const APP_ID = 'cli_install000000001';

/** The first fenced block of `lang` after `heading`, as readme.test.js reads it. */
function codeBlock(/** @type {string} */ heading, /** @type {string} */ lang) {
  const section = README.slice(README.indexOf(heading));
  const match = section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'));
  assert.ok(match, `README has a ${lang} block after ${heading}`);
  return match[1];
}
const COMMONJS_EXAMPLE = codeBlock('## Use from Node.js', 'js');
const ESM_EXAMPLE = codeBlock('### Runtimes', 'js');

/** The README's Runtimes table row for `runtime`. */
function runtimeRow(/** @type {string} */ runtime) {
  const row = README.slice(README.indexOf('### Runtimes')).split('\n').find((line) => line.startsWith(`| ${runtime} |`));
  assert.ok(row, `README's Runtimes table has a ${runtime} row`);
  return row;
}

/**
 * The environment of a user's shell: without the npm_config_* settings `npm test` passes down
 * (this repository's ignore-scripts among them) and without node --test's own marker.
 *
 * @param {Record<string, string>} [extra]
 */
function userEnv(extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_TEST_CONTEXT'),
  );
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * Runs a command to its end without blocking this process, whose stand-in must keep answering.
 *
 * @param {string} file @param {string[]} args @param {{ cwd: string, env: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function run(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve(record(`install: ${path.basename(file)} ${args.join(' ')}`.slice(0, 80), { code, stdout, stderr }));
    });
  });
}

/** A cached runtime from scripts/install-runtime.sh; its progress goes to this test's stderr. */
function installRuntime(/** @type {'node24' | 'deno' | 'bun'} */ name) {
  return execFileSync('bash', [path.join(ROOT, 'scripts', 'install-runtime.sh'), name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** An empty folder outside this repository, so that none of its npm settings apply. */
const emptyProject = (/** @type {string} */ name) => fs.mkdtempSync(path.join(os.tmpdir(), `larkbase-${name}-`));
/** @type {string[]} */
const made = [];

/** What an install left in node_modules, and the package's size there (`du -sb`, as bench/run.js measures). */
function installed(/** @type {string} */ project) {
  const entries = fs.readdirSync(path.join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
  const du = execFileSync('du', ['-sb', path.join(project, 'node_modules', PACKAGE_NAME)], { encoding: 'utf8' });
  return { entries, bytes: Number(du.split('\t')[0]) };
}

/** @type {Awaited<ReturnType<typeof startStandIn>>} */
let lark;
/** @type {string} */
let tarball;
/** The Node.js 20 project, where the type-check, Deno and Bun run too. */
/** @type {string | undefined} */
let node20Project;

before(async () => {
  lark = await startStandIn({ apps: { [APP_ID]: SECRETS.main } });
  tarball = packTarball();
});
after(async () => {
  await lark.close();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const goodSecret = () => userEnv({ LARK_APP_ID: APP_ID, LARK_APP_SECRET: SECRETS.main, LARK_DOMAIN: lark.url });
const wrongSecret = () => userEnv({ LARK_APP_ID: APP_ID, LARK_APP_SECRET: SECRETS.wrong, LARK_DOMAIN: lark.url });
const TOKEN_LINE = /^t-[0-9a-f]{32} expires in \d+ s\n$/;
const AUTH_FAILED_LINE = /^AUTH_FAILED Lark returned code 10014: app secret invalid - check the App Secret/;

/**
 * The README's ESM example run by `command` in `project`: a token for the right secret, and the
 * example's typed-error branch (isLarkbaseTokenError, else it rethrows) for a wrong one.
 *
 * @param {string} command @param {string[]} args @param {string} project @param {Record<string, string>} [env]
 */
async function assertEsmExample(command, args, project, env = {}) {
  fs.writeFileSync(path.join(project, 'example.mjs'), ESM_EXAMPLE);
  const good = await run(command, [...args, 'example.mjs'], { cwd: project, env: { ...goodSecret(), ...env } });
  assert.equal(good.stderr, '');
  assert.equal(good.code, 0);
  assert.match(good.stdout, TOKEN_LINE);
  const wrong = await run(command, [...args, 'example.mjs'], { cwd: project, env: { ...wrongSecret(), ...env } });
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.equal(wrong.stdout, '');
  assert.match(wrong.stderr, AUTH_FAILED_LINE);
}

for (const major of [20, 24]) {
  test(`Node.js ${major}: plain npm install of the tarball into an empty project, then the README's examples`, async (t) => {
    const nodeBin = major === 20 ? process.execPath : installRuntime('node24');
    // npm's own `#!/usr/bin/env node` then runs on this Node.js too.
    const env = userEnv({ PATH: `${path.dirname(nodeBin)}:${process.env.PATH}` });
    const version = execFileSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    assert.equal(version.split('.')[0], String(major));
    assert.match(runtimeRow('Node.js'), new RegExp(`\\b${major}\\b`));

    const project = emptyProject(`node${major}`);
    made.push(project);
    const install = await run('npm', ['install', tarball], { cwd: project, env });
    assert.equal(install.code, 0, install.stderr);
    const { entries, bytes } = installed(project);
    assert.deepEqual(entries, [PACKAGE_NAME], 'node_modules holds this package alone');
    t.diagnostic(`Node.js ${version}: npm install added ${entries.length} package, ${PACKAGE_NAME} is ${bytes} bytes (${(bytes / 1e6).toFixed(2)} MB) installed`);
    if (major === 20) node20Project = project;

    await t.test("the README's CommonJS example prints a token", async () => {
      fs.writeFileSync(path.join(project, 'example.cjs'), COMMONJS_EXAMPLE);
      const { code, stdout, stderr } = await run(nodeBin, ['example.cjs'], { cwd: project, env: goodSecret() });
      assert.equal(stderr, '');
      assert.equal(code, 0);
      assert.match(stdout, TOKEN_LINE);
    });

    await t.test("the README's ESM example prints a token, and a typed error for a wrong secret", () =>
      assertEsmExample(nodeBin, [], project),
    );
  });
}

test('TypeScript: tsc type-checks the installed package with moduleResolution node16 and bundler', async () => {
  const project = node20Project;
  assert.ok(project, 'the Node.js 20 install ran');
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8'));
  assert.ok(runtimeRow('TypeScript').includes(`| ${version.split('.').slice(0, 2).join('.')}, `), `README's TypeScript row names ${version}`);
  // Uses the repository's tsc and @types/node, so that the project keeps holding one package.
  const source = `import { getToken, isLarkbaseTokenError, type TokenResult } from '${PACKAGE_NAME}';

export async function bearer(appId: string, appSecret: string): Promise<string> {
  try {
    const token: TokenResult = await getToken({ appId, appSecret, domain: 'feishu', timeoutMs: 5000 });
    const seconds: number = token.expires_in;
    return \`Bearer \${token.access_token} (\${seconds} s)\`;
  } catch (error) {
    if (isLarkbaseTokenError(error)) throw new Error(\`\${error.code}: \${error.hint}\`);
    throw error;
  }
}

// @ts-expect-error appSecret is required: fails unless the package's declarations were found
void getToken({ appId: 'cli_x' });
`;
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2022'],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  };
  const configs = {
    'tsconfig.node16.json': { compilerOptions: { ...compilerOptions, module: 'node16', moduleResolution: 'node16' }, files: ['use.mts', 'use.cts'] },
    'tsconfig.bundler.json': { compilerOptions: { ...compilerOptions, module: 'esnext', moduleResolution: 'bundler' }, files: ['use.ts'] },
  };
  for (const file of ['use.mts', 'use.cts', 'use.ts']) fs.writeFileSync(path.join(project, file), source);
  for (const [name, config] of Object.entries(configs)) {
    fs.writeFileSync(path.join(project, name), JSON.stringify(config, null, 2));
    const tsc = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', name], {
      cwd: project,
      env: userEnv(),
    });
    assert.equal(tsc.code, 0, `${name}:\n${tsc.stdout}${tsc.stderr}`);
  }
});

test("Deno runs the README's ESM example from the npm-installed project", async (t) => {
  const project = node20Project;
  assert.ok(project, 'the Node.js 20 install ran');
  const deno = installRuntime('deno');
  const version = execFileSync(deno, ['--version'], { encoding: 'utf8' }).split(/\s/)[1];
  assert.ok(runtimeRow('Deno').includes(`| ${version} |`), `README's Deno row names ${version}`);
  t.diagnostic(`Deno ${version}`);
  const denoDir = emptyProject('deno-dir');
  made.push(denoDir);
  // The flags are the README's run line; DENO_DIR keeps Deno's cache out of the user's home.
  await assertEsmExample(deno, ['run', '--allow-env', '--allow-net'], project, { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1' });
  assert.ok(runtimeRow('Deno').includes('`deno run --allow-env --allow-net example.mjs`'));
});

test("Bun runs the README's ESM example, from the npm-installed project and after bun add", async (t) => {
  const project = node20Project;
  assert.ok(project, 'the Node.js 20 install ran');
  const bun = installRuntime('bun');
  const version = execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim();
  assert.ok(runtimeRow('Bun').includes(`| ${version} |`), `README's Bun row names ${version}`);
  await assertEsmExample(bun, [], project);

  const bunProject = emptyProject('bun');
  const bunCache = emptyProject('bun-cache');
  made.push(bunProject, bunCache);
  // A cache of its own, so that runs do not pile tarballs up in the user's ~/.bun.
  const add = await run(bun, ['add', tarball], { cwd: bunProject, env: userEnv({ BUN_INSTALL_CACHE_DIR: bunCache }) });
  assert.equal(add.code, 0, add.stderr);
  const { entries, bytes } = installed(bunProject);
  assert.deepEqual(entries, [PACKAGE_NAME], 'node_modules holds this package alone');
  t.diagnostic(`Bun ${version}: bun add added ${entries.length} package, ${bytes} bytes`);
  await assertEsmExample(bun, [], bunProject);
});
