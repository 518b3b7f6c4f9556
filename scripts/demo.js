// @ts-check
'use strict';
// The demo behind `npm start`: real n8n 2.x with this package installed as a community node, the
// local Lark stand-in in place of Lark, a "Larkbase API" credential pointing at it, and two example
// workflows: Manual Trigger → Larkbase Get Token → List records, and → Larkbase, which searches the
// demo base's table with the token; and, published, Larkbase Trigger (Polling, every minute) on the
// demo base's Orders table → a node that shows each new or changed order. Offline; Ctrl-C stops
// everything.
// The browser test starts the same demo with `startDemo` and runs its workflow in Chromium.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startStandIn, seedDemoBase, DEMO_APP, DEMO_BASE } = require('../tests/lark-stand-in');
const h = require('../tests/e2e/n8n-harness');
const wf = require('../tests/e2e/workflows');

const DEMO_WORKFLOW_ID = 'larkbaseDemo0001';
const POLLING_WORKFLOW_ID = 'larkbaseDemoPoll';
/** The polling demo's table: orders, with the time Lark last changed each. */
const ORDERS = { tableId: 'tblDemoOrders', name: 'Orders' };
const DEMO_CREDENTIAL = { id: 'larkbaseDemoCred', name: 'Larkbase API (local stand-in)' };
const N8N_VERSION = '2.41.1';

/**
 * Manual Trigger → Larkbase Get Token, whose token feeds both "List records" (HTTP Request) and
 * "Larkbase" (Search, reading the token with its default Access Token expression).
 *
 * @param {string} url the stand-in
 */
function demoWorkflow(url) {
  const workflow = wf.chain(DEMO_WORKFLOW_ID, 'Larkbase Get Token: demo', [
    wf.manualTrigger(),
    wf.larkbaseGetToken({ baseUrl: url, credential: DEMO_CREDENTIAL }),
    wf.listRecords({ baseUrl: url, position: [440, -100] }),
  ]);
  const search = wf.larkbase({
    baseUrl: url,
    base: DEMO_BASE.appToken,
    table: DEMO_BASE.tableId,
    operation: 'search',
    parameters: { returnAll: true },
    position: [440, 100],
  });
  workflow.nodes.push(search);
  const fromToken = /** @type {{ main: Array<Array<{ node: string, type: string, index: number }>> }} */ (
    workflow.connections['Larkbase Get Token']
  );
  fromToken.main[0].push({ node: search.name, type: 'main', index: 0 });
  return workflow;
}

/**
 * Larkbase Trigger (Polling, every minute, by the Orders table's Last modified time column) →
 * "New or changed order", which passes each record on as it came.
 *
 * @returns {ReturnType<typeof wf.chain>}
 */
function pollingWorkflow() {
  return wf.chain(POLLING_WORKFLOW_ID, 'Larkbase Trigger: new or changed orders (polling)', [
    wf.larkbaseTrigger({
      webhookId: wf.fixedWebhookId('demo-polling'),
      credential: DEMO_CREDENTIAL,
      parameters: {
        mode: 'poll',
        pollTimes: { item: [{ mode: 'everyMinute' }] },
        base: { __rl: true, mode: 'id', value: DEMO_BASE.appToken },
        table: { __rl: true, mode: 'id', value: ORDERS.tableId },
        column: 'Modified',
      },
    }),
    { id: 'new-order', name: 'New or changed order', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
  ]);
}

/**
 * The Orders table in the demo base, with two orders.
 *
 * @param {{ base: { createTable: Function, addRecords: Function } }} standIn
 */
function seedOrders(standIn) {
  const lark = standIn;
  lark.base.createTable(DEMO_BASE.appToken, {
    ...ORDERS,
    fields: [
      { name: 'Order', type: 1, isPrimary: true },
      { name: 'Status', type: 3, property: { options: [{ name: 'New', id: 'optNew', color: 0 }, { name: 'Shipped', id: 'optShip', color: 1 }] } },
      { name: 'Created', type: 1001 },
      { name: 'Modified', type: 1002 },
    ],
  });
  lark.base.addRecords(DEMO_BASE.appToken, ORDERS.tableId, [{ Order: 'SO-0001', Status: 'Shipped' }, { Order: 'SO-0002', Status: 'New' }]);
}

/**
 * @param {{ n8nPort: number, standInPort?: number, log?: (line: string) => void, version?: string }} options
 *   version: another n8n than the demo's (tests/e2e/editor-by-hand.js tries the editor of 1.x)
 */
async function startDemo({ n8nPort, standInPort = 0, log = () => {}, version = N8N_VERSION }) {
  log(`Installing n8n ${version} (cached after the first run)`);
  const n8n = h.installN8n(version);
  log('Starting the Lark stand-in');
  const lark = await startStandIn({ port: standInPort });
  seedDemoBase(lark);
  seedOrders(lark);
  try {
    return await startN8n(n8n, lark, n8nPort, log);
  } catch (error) {
    await lark.close();
    throw error;
  }
}

/**
 * @param {h.N8nInstall} n8n
 * @param {Awaited<ReturnType<typeof startStandIn>>} lark
 * @param {number} n8nPort
 * @param {(line: string) => void} log
 */
async function startN8n(n8n, lark, n8nPort, log) {
  log('Installing this package into a fresh n8n user folder, as the community-node installer does');
  const userFolder = h.freshUserFolder(n8n);
  await h.importInto(n8n, userFolder, 'credentials', [
    wf.larkbaseCredential(DEMO_CREDENTIAL.id, DEMO_CREDENTIAL.name, { ...DEMO_APP, baseUrl: lark.url }),
  ]);
  await h.importInto(
    n8n,
    userFolder,
    'workflow',
    demoWorkflow(lark.url),
  );
  await h.importInto(n8n, userFolder, 'workflow', pollingWorkflow());
  // Published before n8n starts (the CLI writes the database only), so that it polls at once.
  const published = await h.n8nCli(n8n, userFolder, ['publish:workflow', `--id=${POLLING_WORKFLOW_ID}`]);
  if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.stdout}\n${published.stderr}`);
  log(`Starting n8n on http://127.0.0.1:${n8nPort} (its log: ${path.join(userFolder, 'n8n.log')})`);
  const server = await h.startN8nServer(n8n, userFolder, { port: n8nPort, logFile: path.join(userFolder, 'n8n.log') });
  const owner = { email: 'demo@example.com', password: `Demo-${crypto.randomBytes(6).toString('hex')}-1` };
  await h.setUpOwner(server.url, owner).catch(async (error) => {
    await server.stop();
    throw error;
  });
  return {
    url: server.url,
    workflowUrl: `${server.url}/workflow/${DEMO_WORKFLOW_ID}`,
    pollingWorkflowUrl: `${server.url}/workflow/${POLLING_WORKFLOW_ID}`,
    owner,
    lark,
    async stop() {
      await server.stop();
      await lark.close();
      fs.rmSync(userFolder, { recursive: true, force: true });
    },
  };
}

async function main() {
  const n8nPort = Number(process.env.N8N_DEMO_PORT ?? 5678);
  const standInPort = Number(process.env.LARK_STAND_IN_PORT ?? 8787);
  const demo = await startDemo({ n8nPort, standInPort, log: (line) => console.log(`==> ${line}`) });
  console.log(`
n8n is ready, with "Larkbase Get Token" and "Larkbase" installed.

  Editor:    ${demo.url}
  Login:     ${demo.owner.email}
  Password:  ${demo.owner.password}
  Workflow:  ${demo.workflowUrl}  (click "Execute workflow")
  Trigger:   ${demo.pollingWorkflowUrl}  (published: polls the Orders table every minute)

Add an order, and within a minute the trigger's workflow runs with it (its Executions tab):
  node -e "require('.').createRecords({ base: '${DEMO_BASE.appToken}', table: '${ORDERS.tableId}', rows: [{ fields: { Order: 'SO-0003', Status: 'New' } }], credential: { appId: '${DEMO_APP.appId}', appSecret: '${DEMO_APP.appSecret}', domain: '${demo.lark.url}' } }).then((r) => console.log(r.items[0].record.record_id))"

Lark is the local stand-in on ${demo.lark.url}, demo App ID ${DEMO_APP.appId}.
Press Ctrl-C to stop n8n and the stand-in.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\n==> Stopping n8n and the stand-in');
    await demo.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

module.exports = { startDemo, DEMO_WORKFLOW_ID, POLLING_WORKFLOW_ID, ORDERS };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
