// @ts-check
'use strict';
// Private Redis and PostgreSQL for the queue-mode test and benchmark: Debian's programs
// (scripts/ensure-services.sh installs them), each started as a child process on 127.0.0.1 with a
// temporary data directory and a free port, and stopped by the caller (and, failing that, when
// this process exits). The system services are never used.

const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./n8n-harness');

/** Debian's PostgreSQL programs live in a versioned folder, not on PATH. */
function postgresBin() {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed; run scripts/ensure-services.sh');
  return path.join(root, newest, 'bin');
}

/** Children still running, killed if this process exits or is interrupted without stopping them. */
const running = new Set();
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** Kills `child` too if this process exits while it still runs. */
function killOnExit(/** @type {import('node:child_process').ChildProcess} */ child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
async function stopChild(child, signal) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
}

/** Resolves once `probe` returns true, or throws after `ms`. */
async function waitFor(/** @type {() => boolean | Promise<boolean>} */ probe, /** @type {string} */ what, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not become ready within ${ms / 1000} s`);
}

/**
 * redis-server on 127.0.0.1, no persistence, its log in `logFile`. RDB compression is off so
 * that a dump holds every string as it was stored (the secret scan reads it).
 *
 * @param {{ logFile: string }} options
 */
async function startRedis({ logFile }) {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed; run scripts/ensure-services.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'larkbase-redis-'));
  const port = await freePort();
  const log = fs.openSync(logFile, 'a');
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--rdbcompression', 'no', '--daemonize', 'no',
  ], { stdio: ['ignore', log, log] });
  running.add(child);
  fs.closeSync(log);
  const cli = (/** @type {string[]} */ args, /** @type {string} */ input = '') =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  try {
    await waitFor(() => child.exitCode === null && spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 'redis-server');
  } catch (error) {
    await stopChild(child, 'SIGKILL');
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    cli,
    /**
     * Every key with its type and value, as text: strings, hashes, lists, sets, sorted sets and
     * streams are read with the command for their type.
     */
    dumpKeysAndValues() {
      const keys = cli(['--scan']).split('\n').filter(Boolean);
      if (keys.length === 0) return { keys: 0, text: '' };
      const quote = (/** @type {string} */ k) => `"${k.replace(/[\\"]/g, '\\$&')}"`;
      const types = cli([], keys.map((k) => `TYPE ${quote(k)}`).join('\n')).split('\n');
      /** @type {Record<string, string>} */
      const read = { string: 'GET', hash: 'HGETALL', list: 'LRANGE', set: 'SMEMBERS', zset: 'ZRANGE', stream: 'XRANGE' };
      const args = { list: ' 0 -1', zset: ' 0 -1 WITHSCORES', stream: ' - +' };
      const text = keys
        .map((key, i) => {
          const type = types[i]?.trim() ?? '';
          const command = read[type];
          const value = command ? cli([], `${command} ${quote(key)}${args[/** @type {keyof typeof args} */ (type)] ?? ''}`) : '';
          return `${type} ${key}\n${value}`;
        })
        .join('\n');
      return { keys: keys.length, text };
    },
    /** The whole dataset as Redis saves it (an RDB file, uncompressed). */
    dumpRdb(/** @type {string} */ file) {
      execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--rdb', file], { stdio: 'ignore' });
      return fs.readFileSync(file);
    },
    /** Starts `redis-cli monitor`: every command the server runs, with its arguments, into `file`. */
    async monitor(/** @type {string} */ file) {
      const out = fs.openSync(file, 'a');
      const mon = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'monitor'], { stdio: ['ignore', out, out] });
      running.add(mon);
      fs.closeSync(out);
      await waitFor(() => fs.statSync(file).size > 0, 'redis-cli monitor', 10_000);
      return { stop: () => stopChild(mon, 'SIGTERM') };
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * postgres on 127.0.0.1 with a fresh cluster in a temporary folder, a password-protected user and
 * one database. PostgreSQL refuses to run as root, so as root the cluster belongs to the
 * `postgres` system user (the Debian package creates it) and the server runs as that user.
 *
 * @param {{ logFile: string, database?: string, settings?: Record<string, string> }} options
 *   settings: extra server settings, `-c name=value`.
 */
async function startPostgres({ logFile, database = 'n8n', settings = {} }) {
  const bin = postgresBin();
  /** @type {{ uid?: number, gid?: number }} */
  const as = {};
  if (process.getuid?.() === 0) {
    as.uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    as.gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'larkbase-postgres-'));
  fs.chmodSync(root, 0o711);
  const owned = (/** @type {string} */ dir) => {
    fs.mkdirSync(dir, { mode: 0o700 });
    if (as.uid !== undefined) fs.chownSync(dir, as.uid, /** @type {number} */ (as.gid));
    return dir;
  };
  const home = owned(path.join(root, 'home'));
  const data = path.join(home, 'data');
  const socketDir = owned(path.join(root, 'socket'));
  const user = 'larkbase';
  const password = crypto.randomBytes(12).toString('hex');
  const pwfile = path.join(home, 'pwfile');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (as.uid !== undefined) fs.chownSync(pwfile, as.uid, /** @type {number} */ (as.gid));
  const initdb = spawnSync(path.join(bin, 'initdb'), [
    '-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust',
    '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
  ], { ...as, cwd: home, encoding: 'utf8' });
  if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr}`);
  fs.rmSync(pwfile);

  const port = await freePort();
  const log = fs.openSync(logFile, 'a');
  const extra = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const child = spawn(path.join(bin, 'postgres'), [
    '-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', socketDir, '-c', 'logging_collector=off', ...extra,
  ], { ...as, cwd: home, stdio: ['ignore', log, log] });
  running.add(child);
  fs.closeSync(log);
  const client = (/** @type {string} */ program, /** @type {string[]} */ args, db = database) =>
    execFileSync(path.join(bin, program), ['-h', '127.0.0.1', '-p', String(port), '-U', user, ...args, db], {
      env: { ...process.env, PGPASSWORD: password },
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
    });
  try {
    await waitFor(() => child.exitCode === null && spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0, 'postgres');
    client('createdb', [], database);
  } catch (error) {
    await stopChild(child, 'SIGKILL');
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    /** Runs one SQL statement with psql and returns its rows, tab-separated, without headers. */
    query: (/** @type {string} */ sql) => client('psql', ['-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql]),
    /** The whole database as pg_dump writes it (plain SQL, data included). */
    dump: () => client('pg_dump', []),
    /** The environment n8n reads for its database. */
    n8nEnv() {
      return {
        DB_TYPE: 'postgresdb',
        DB_POSTGRESDB_HOST: '127.0.0.1',
        DB_POSTGRESDB_PORT: String(port),
        DB_POSTGRESDB_DATABASE: database,
        DB_POSTGRESDB_USER: user,
        DB_POSTGRESDB_PASSWORD: password,
      };
    },
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
      await stopChild(child, 'SIGINT');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

module.exports = { killOnExit, postgresBin, startPostgres, startRedis, waitFor };
