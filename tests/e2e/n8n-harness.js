// @ts-check
'use strict';
// Drives a real n8n for the end-to-end tests and the demo: installs it (cached, scripts/install-n8n.sh),
// installs this package's `npm pack` tarball into a fresh N8N_USER_FOLDER the way n8n's
// community-node installer does, and runs n8n's CLI and server on 127.0.0.1 only.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE_NAME = 'n8n-nodes-larkbase-get-token';
/** The two n8n lines people run today, each the newest version that installs here. */
const N8N_LINES = [
  { line: '1.x', version: '1.123.50' },
  { line: '2.x', version: '2.41.1' },
].filter(({ line }) => !process.env.LARKBASE_N8N_LINES || process.env.LARKBASE_N8N_LINES.split(',').includes(line));
/** The node types as n8n names them once the package is installed as a community package. */
const NODE_TYPE = `${PACKAGE_NAME}.larkbaseGetToken`;
const LARKBASE_NODE_TYPE = `${PACKAGE_NAME}.larkbase`;
const CREDENTIAL_TYPE = 'larkbaseApi';

/**
 * @typedef {{ version: string, nodeBin: string, n8nDir: string }} N8nInstall
 * @typedef {{ code: number, stdout: string, stderr: string }} CliResult
 */

/** @returns {N8nInstall} */
function installN8n(/** @type {string} */ version) {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts', 'install-n8n.sh'), version], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [nodeBin, n8nDir] = out.trim().split(' ');
  return { version, nodeBin, n8nDir };
}

/** Packs this package once per process, as it would be published. */
const packTarball = (() => {
  /** @type {string | undefined} */
  let tarball;
  return () => {
    if (tarball) return tarball;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'larkbase-pack-'));
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
    );
    tarball = path.join(dir, pack.filename);
    return tarball;
  };
})();

/**
 * A fresh N8N_USER_FOLDER with this package installed into `.n8n/nodes`, as n8n's community-node
 * installer does it (npm install of the package there, peer dependencies left to n8n).
 *
 * @param {N8nInstall} n8n
 */
function freshUserFolder(n8n) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `larkbase-n8n-${n8n.version}-`));
  const nodesDir = path.join(folder, '.n8n', 'nodes');
  fs.mkdirSync(nodesDir, { recursive: true });
  fs.writeFileSync(path.join(nodesDir, 'package.json'), '{"name":"installed-nodes","private":true}\n');
  execFileSync('npm', ['install', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', packTarball()], {
    cwd: nodesDir,
    env: { ...process.env, PATH: `${path.dirname(n8n.nodeBin)}:${process.env.PATH}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return folder;
}

/**
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {Record<string, string>} [extra]
 */
function n8nEnv(n8n, userFolder, extra = {}) {
  return {
    PATH: `${path.dirname(n8n.nodeBin)}:${process.env.PATH}`,
    HOME: process.env.HOME ?? userFolder,
    N8N_USER_FOLDER: userFolder,
    N8N_ENCRYPTION_KEY: 'larkbase-e2e-encryption-key-0001',
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_RUNNERS_ENABLED: 'true',
    N8N_LOG_OUTPUT: 'console',
    ...extra,
  };
}

/**
 * Runs `n8n <args>`; a non-zero exit is returned, not thrown, since a failing workflow exits 1.
 *
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {string[]} args
 * @param {Record<string, string>} [extra]
 * @param {number} [timeoutMs] the benchmark's long executions need more than the default
 * @returns {Promise<CliResult>}
 */
async function n8nCli(n8n, userFolder, args, extra, timeoutMs = 180_000) {
  // Each command starts a task broker of its own in n8n 2.x; the default port may be taken by
  // another n8n on this machine.
  const ports = { N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
  // n8n's output goes to files, not pipes: Node writes to a file synchronously, while a pipe's
  // writes are asynchronous, and n8n exits right after printing an execution, which cut a large
  // execution's JSON short (seen with 2,000 items in n8n 1.x).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'larkbase-n8n-cli-'));
  const outFile = path.join(dir, 'stdout');
  const errFile = path.join(dir, 'stderr');
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  try {
    const child = spawn(n8n.nodeBin, [path.join(n8n.n8nDir, 'bin', 'n8n'), ...args], {
      env: n8nEnv(n8n, userFolder, { ...ports, ...extra }),
      stdio: ['ignore', out, err],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise((resolve) => {
      child.once('error', () => resolve(1));
      child.once('exit', (exitCode) => resolve(exitCode ?? 1));
    });
    clearTimeout(timer);
    return { code: Number(code), stdout: fs.readFileSync(outFile, 'utf8'), stderr: fs.readFileSync(errFile, 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {'workflow' | 'credentials'} kind
 * @param {unknown} data
 * @param {Record<string, string>} [extra] more environment, e.g. the database settings
 */
async function importInto(n8n, userFolder, kind, data, extra) {
  const file = path.join(userFolder, `import-${kind}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(data));
  const result = await n8nCli(n8n, userFolder, [`import:${kind}`, `--input=${file}`], extra);
  fs.rmSync(file);
  if (result.code !== 0) throw new Error(`n8n import:${kind} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * `n8n execute --id --rawOutput`, parsed. n8n 2.x prints log lines around the JSON, so the output
 * is cut from the first line that is exactly `{` to the next that is exactly `}`: the JSON is
 * pretty-printed, so only its outermost braces stand alone at the start of a line.
 *
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {string} workflowId
 * @param {number} [timeoutMs]
 */
async function executeWorkflow(n8n, userFolder, workflowId, timeoutMs) {
  const result = await n8nCli(n8n, userFolder, ['execute', `--id=${workflowId}`, '--rawOutput'], undefined, timeoutMs);
  const lines = result.stdout.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  const found = start >= 0 && end > start;
  /** @type {any} */
  let run;
  if (found) {
    try {
      run = JSON.parse(lines.slice(start, end + 1).join('\n'));
    } catch {
      run = undefined;
    }
  }
  /** What n8n printed besides the execution: its log lines. */
  const logLines = found ? [...lines.slice(0, start), ...lines.slice(end + 1)] : lines;
  return { ...result, run, logLines };
}

/**
 * The items a node output in an execution.
 *
 * @param {any} run
 * @param {string} nodeName
 * @returns {Array<{ json: any, pairedItem?: any }>}
 */
function nodeItems(run, nodeName) {
  return run?.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0] ?? [];
}

/**
 * Starts `n8n start` and resolves once its REST API answers.
 *
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {{ port: number, logFile: string }} options
 */
async function startN8nServer(n8n, userFolder, { port, logFile }) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(n8n.nodeBin, [path.join(n8n.n8nDir, 'bin', 'n8n'), 'start'], {
    env: n8nEnv(n8n, userFolder, {
      N8N_PORT: String(port),
      N8N_RUNNERS_BROKER_PORT: String(port + 1),
      N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`,
    }),
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`n8n exited with ${child.exitCode}; see ${logFile}`);
    const ready = await fetch(`${url}/rest/settings`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`n8n did not answer within 120 s; see ${logFile}`);
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      fs.closeSync(log);
    },
  };
}

/**
 * Starts one n8n process of any kind, `start` (a main), `worker` or `webhook`, with `env` added to
 * the usual offline settings, and resolves once `readyUrl` answers 2xx and its log has a line
 * matching `readyLine` (each when given: a main answers HTTP before it has activated its
 * workflows, and says so in its log only after). The caller picks every port the process opens
 * (N8N_PORT, N8N_RUNNERS_BROKER_PORT, QUEUE_HEALTH_CHECK_PORT...): several n8n processes on one
 * host need distinct ones.
 *
 * @param {N8nInstall} n8n
 * @param {string} userFolder
 * @param {{ command: 'start' | 'worker' | 'webhook', args?: string[], env?: Record<string, string>,
 *   logFile: string, readyUrl?: string, readyLine?: RegExp }} options
 */
async function startN8nProcess(n8n, userFolder, { command, args = [], env = {}, logFile, readyUrl, readyLine }) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(n8n.nodeBin, [path.join(n8n.n8nDir, 'bin', 'n8n'), command, ...args], {
    env: n8nEnv(n8n, userFolder, env),
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async (/** @type {NodeJS.Signals} */ signal = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`n8n ${command} exited with ${child.exitCode}; see ${logFile}`);
    const answers = !readyUrl || (await fetch(readyUrl).then((r) => r.ok, () => false));
    if (answers && (!readyLine || readyLine.test(fs.readFileSync(logFile, 'utf8')))) break;
    if (Date.now() >= deadline) {
      await stop('SIGKILL');
      throw new Error(`n8n ${command} was not ready within 120 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { child, logFile, stop };
}

/**
 * Creates the owner account through the REST API and returns a logged-in cookie.
 *
 * @param {string} url
 * @param {{ email: string, password: string }} owner
 */
async function setUpOwner(url, owner) {
  // n8n answers /rest/settings before all its routes are in place; on a busy machine the owner
  // route can still be missing (HTTP 404) for a few seconds.
  const deadline = Date.now() + 60_000;
  let setup;
  for (;;) {
    setup = await fetch(`${url}/rest/owner/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...owner, firstName: 'Demo', lastName: 'Owner' }),
    });
    if (setup.status !== 404 || Date.now() > deadline) break;
    await setup.text();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!setup.ok) throw new Error(`owner setup failed: HTTP ${setup.status} ${await setup.text()}`);
  const cookie = setup.headers.get('set-cookie')?.split(';')[0] ?? '';
  return cookie;
}

/** A free TCP port on 127.0.0.1, with the next one free too (n8n's task broker takes it). */
async function freePort() {
  const net = require('node:net');
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = /** @type {import('node:net').AddressInfo} */ (server.address());
        server.close(() => resolve(address.port));
      });
    });
    const nextFree = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (nextFree && port < 65000) return /** @type {number} */ (port);
  }
}

module.exports = {
  CREDENTIAL_TYPE,
  LARKBASE_NODE_TYPE,
  N8N_LINES,
  NODE_TYPE,
  PACKAGE_NAME,
  executeWorkflow,
  freePort,
  freshUserFolder,
  importInto,
  installN8n,
  n8nCli,
  nodeItems,
  packTarball,
  setUpOwner,
  startN8nProcess,
  startN8nServer,
};
