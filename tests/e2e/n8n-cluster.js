// @ts-check
'use strict';
// n8n with this package on private Redis and PostgreSQL (./services.js), for the queue-mode test
// and benchmark: in queue mode a main that takes the webhooks and `workers` worker processes that
// run the executions, or in regular mode one process that does both. One production workflow,
// Webhook → Larkbase Get Token (credential) → List records signed by the credential, answers at
// `webhookUrl` with the records.
//
// Each n8n process gets its own N8N_USER_FOLDER with this package installed into `.n8n/nodes`
// (each process loads community packages from its own folder at start), its own ports, and the
// shared N8N_ENCRYPTION_KEY (n8nEnv sets the same one for all), so that workers can decrypt the
// credential the main's CLI stored.

const fs = require('node:fs');
const path = require('node:path');
const h = require('./n8n-harness');
const wf = require('./workflows');
const { killOnExit, startPostgres, startRedis } = require('./services');

const WORKFLOW_ID = 'larkbaseQueue001';
const WEBHOOK_PATH = 'larkbase-records';
const CREDENTIAL = { id: 'larkbaseQueueCrd', name: 'Larkbase API (queue stand-in)' };

/** libfaketime, for moving n8n's clock (Debian's libfaketime package; scripts/ensure-services.sh). */
function fakeTimeLibrary() {
  const lib = fs.readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d, 'faketime', 'libfaketimeMT.so.1')).find((f) => fs.existsSync(f));
  if (!lib) throw new Error('libfaketime is not installed; run scripts/ensure-services.sh');
  return lib;
}

/**
 * @param {{ n8n: h.N8nInstall, larkUrl: string, app: { appId: string, appSecret: string },
 *   mode: 'queue' | 'regular', workers?: number, concurrency?: number, logDir: string,
 *   postgresSettings?: Record<string, string>, clockFile?: string, redisMonitorFile?: string,
 *   env?: Record<string, string> }} options
 *   env: more environment for every n8n process.
 *   logDir: where every process writes its log. redisMonitorFile: when given, every command Redis
 *   runs, with its arguments, from before n8n starts until stop() (`redis-cli monitor`). clockFile: when given, every n8n process runs
 *   under libfaketime reading its clock offset from this file (`+0` at first; write e.g. `+7260`
 *   to move n8n's clock 7,260 s forward; n8n sees it within a second). Timers are not moved.
 */
async function startCluster({ n8n, larkUrl, app, mode, workers = 2, concurrency = 10, logDir, postgresSettings = {}, clockFile, redisMonitorFile, env = {} }) {
  fs.mkdirSync(logDir, { recursive: true });
  /** Cleanups, run last first by stop(); also when starting fails half way. */
  /** @type {Array<() => unknown>} */
  const cleanups = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('n8n-cluster: a cleanup failed:', error);
      }
    }
  };
  try {
    const postgres = await startPostgres({ logFile: path.join(logDir, 'postgres.log'), settings: postgresSettings });
    cleanups.push(() => postgres.stop());
    const redis = mode === 'queue' ? await startRedis({ logFile: path.join(logDir, 'redis.log') }) : undefined;
    if (redis) cleanups.push(() => redis.stop());
    if (redis && redisMonitorFile) {
      const monitor = await redis.monitor(redisMonitorFile);
      cleanups.push(() => monitor.stop());
    }
    /** @type {Record<string, string>} */
    const shared = {
      ...postgres.n8nEnv(),
      EXECUTIONS_MODE: mode,
      N8N_LOG_LEVEL: 'info',
      ...env,
      ...(redis
        ? {
            QUEUE_BULL_REDIS_HOST: redis.host,
            QUEUE_BULL_REDIS_PORT: String(redis.port),
            // n8n 2.41.1 removes a job from Redis as soon as it completes, and its main learns of the
            // completion from a pub/sub event it may not be listening for yet: a main slower than its
            // worker then never answers the webhook (15 of 600 calls here with the main paused now
            // and then). Keeping the last completed and failed jobs lets Bull's 5-second watchdog
            // find them instead (0 of 600). The README's Queue mode section says the same.
            N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
            N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
          }
        : {}),
    };
    if (clockFile) {
      fs.writeFileSync(clockFile, '+0\n');
      Object.assign(shared, {
        LD_PRELOAD: fakeTimeLibrary(),
        FAKETIME_TIMESTAMP_FILE: clockFile,
        FAKETIME_CACHE_DURATION: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
    }
    const folder = (/** @type {string} */ name) => {
      const userFolder = h.freshUserFolder(n8n);
      cleanups.push(() => fs.rmSync(userFolder, { recursive: true, force: true }));
      return { name, userFolder, logFile: path.join(logDir, `n8n-${name}.log`) };
    };
    const main = folder('main');
    /** What the CLI printed while setting up, kept for the secret checks. */
    const cliLog = path.join(logDir, 'n8n-cli.log');
    const cli = async (/** @type {string[]} */ args) => {
      const result = await h.n8nCli(n8n, main.userFolder, args, shared);
      fs.appendFileSync(cliLog, `$ n8n ${args.join(' ')}\n${result.stdout}${result.stderr}\n`);
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed; see ${cliLog}`);
    };
    const write = (/** @type {string} */ name, /** @type {unknown} */ data) => {
      const file = path.join(main.userFolder, name);
      fs.writeFileSync(file, JSON.stringify(data));
      return file;
    };
    await cli(['import:credentials', `--input=${write('credentials.json', [wf.larkbaseCredential(CREDENTIAL.id, CREDENTIAL.name, { ...app, baseUrl: larkUrl })])}`]);
    fs.rmSync(path.join(main.userFolder, 'credentials.json'));
    const workflow = wf.chain(WORKFLOW_ID, 'Webhook: records signed by the credential', [
      wf.webhookTrigger(WEBHOOK_PATH),
      wf.larkbaseGetToken({ baseUrl: larkUrl, credential: CREDENTIAL }),
      wf.listRecords({ baseUrl: larkUrl, credential: CREDENTIAL }),
    ]);
    await cli(['import:workflow', `--input=${write('workflow.json', workflow)}`]);
    // n8n 2.x activates a workflow by publishing it; the CLI writes the database only, so this
    // comes before the main starts (a running main would not see it until restarted).
    await cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);

    const mainPort = await h.freePort();
    const mainProcess = await h.startN8nProcess(n8n, main.userFolder, {
      command: 'start',
      env: {
        ...shared,
        N8N_PORT: String(mainPort),
        N8N_RUNNERS_BROKER_PORT: String(await h.freePort()),
        N8N_EDITOR_BASE_URL: `http://127.0.0.1:${mainPort}`,
      },
      logFile: main.logFile,
      readyUrl: `http://127.0.0.1:${mainPort}/healthz/readiness`,
      readyLine: /Editor is now accessible/,
    });
    killOnExit(mainProcess.child);
    cleanups.push(() => mainProcess.stop());

    const workerProcesses = [];
    for (let i = 0; mode === 'queue' && i < workers; i++) {
      const worker = folder(`worker-${i + 1}`);
      const healthPort = await h.freePort();
      const started = await h.startN8nProcess(n8n, worker.userFolder, {
        command: 'worker',
        args: [`--concurrency=${concurrency}`],
        env: {
          ...shared,
          QUEUE_HEALTH_CHECK_ACTIVE: 'true',
          QUEUE_HEALTH_CHECK_PORT: String(healthPort),
          N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
          N8N_RUNNERS_BROKER_PORT: String(await h.freePort()),
        },
        logFile: worker.logFile,
        readyUrl: `http://127.0.0.1:${healthPort}/healthz/readiness`,
      });
      killOnExit(started.child);
      cleanups.push(() => started.stop());
      workerProcesses.push({ name: worker.name, ...started });
    }

    return {
      mode,
      webhookUrl: `http://127.0.0.1:${mainPort}/webhook/${WEBHOOK_PATH}`,
      workflowId: WORKFLOW_ID,
      main: { name: 'main', ...mainProcess },
      workers: workerProcesses,
      postgres,
      redis,
      cliLog,
      /** Moves every n8n process's clock this many seconds ahead of the real one. */
      setClockOffset(/** @type {number} */ seconds) {
        if (!clockFile) throw new Error('startCluster was not given a clockFile');
        fs.writeFileSync(clockFile, `+${seconds}\n`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Calls the webhook `count` times, `concurrency` at a time; resolves with each call's status, body
 * and milliseconds, in the order they were started. A call unanswered after `timeoutMs` counts as
 * status 0.
 *
 * @param {string} url
 * @param {{ count: number, concurrency: number, timeoutMs?: number }} options
 */
async function callWebhook(url, { count, concurrency, timeoutMs = 120_000 }) {
  /** @type {Array<{ status: number, body: any, ms: number }>} */
  const results = new Array(count);
  let next = 0;
  const caller = async () => {
    while (next < count) {
      const n = next++;
      const t0 = process.hrtime.bigint();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ n }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        /** @type {any} */
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Kept as text, for the assertion message.
        }
        results[n] = { status: response.status, body, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
      } catch (error) {
        results[n] = { status: 0, body: String(error), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return results;
}

/**
 * The execution ids each worker's log says it ran ("Worker started execution <id> (job <n>)", an
 * info line of n8n's job processor).
 *
 * @param {string} logFile
 */
function executionsStartedIn(logFile) {
  const text = fs.readFileSync(logFile, 'utf8');
  return new Set([...text.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]));
}

module.exports = { CREDENTIAL, WEBHOOK_PATH, WORKFLOW_ID, callWebhook, executionsStartedIn, startCluster };
