// @ts-check
'use strict';
// The Larkbase Trigger in n8n 2.x's editor, in Debian's Chromium, as a new user meets it in the
// demo (`npm start`): found in the node picker on an empty canvas, Polling by default with no
// webhook URL shown, its Table and Trigger Column lists loaded with the credential, "Fetch Test
// Event" giving the newest order of the demo's Orders table, and in Lark Events mode the notice and
// the URL to paste into Lark's console. Screenshots land in tests/artifacts/screenshots/.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { ORDERS } = require('../../scripts/demo');
const { typeSearch } = require('./n8n-editor');
const { demoInChromium } = require('./demo-in-chromium');

const session = demoInChromium('trigger-');
const { screenshot, withFailureScreenshot } = session;
/** @type {typeof session.demo} */
let demo;
/** @type {typeof session.page} */
let page;

before(async () => {
  await session.start();
  ({ demo, page } = session);
});

after(() => session.stop());

test('on an empty canvas: the picker finds the trigger under "Larkbase" (On base record changes); Polling by default, no webhook URL; the lists load; Fetch Test Event gives the newest order', withFailureScreenshot('new', async () => {
  await page.goto(`${demo.url}/workflow/new`);
  await page.locator('[data-test-id=canvas-add-button]').click();
  await typeSearch(page, 'Larkbase Trigger');
  // n8n's trigger picker lists the trigger under its service's name, "Larkbase", with the
  // trigger's description.
  const entry = page.getByText('Starts the workflow when Lark Base records change');
  await entry.first().waitFor();
  await screenshot('1-node-picker');
  await entry.first().click();
  // Its details list its triggers, made by n8n from the Event parameter's options.
  await page.getByText('On base record changes').first().click();
  const add = page.getByRole('button', { name: 'Add to workflow' });
  if (await add.isVisible().catch(() => false)) await add.click();
  await page.locator('[data-test-id=parameter-input-mode]').last().waitFor();
  assert.match(await page.locator('[data-test-id=parameter-input-mode] input').last().inputValue(), /Polling/);
  const ndv = page.locator('[data-test-id=ndv]');
  assert.equal(await ndv.getByText('Webhook URLs').count(), 0, 'no webhook URL in Polling mode');
  await screenshot('2-polling-defaults');

  // Base by ID, the table from the list, the column from the list: loaded with the credential.
  // The base's app_token, pasted where its URL goes, is taken too.
  await page.locator('[data-test-id=parameter-input-base] input').last().fill('bascnDemoBase');
  await page.locator('[data-test-id=parameter-input-table] input').last().click();
  await page.getByText(ORDERS.name, { exact: true }).last().click();
  // The column list loads once the table is chosen.
  await page.waitForTimeout(1500);
  await page.locator('[data-test-id=parameter-input-column] input').first().click();
  const modified = page.getByText('Modified (last modified time)');
  await modified.first().waitFor();
  assert.ok((await page.getByText('Created (created time)').count()) > 0);
  await screenshot('3-trigger-columns');
  await modified.first().click();

  await page.locator('[data-test-id=node-execute-button]').first().click();
  const output = page.locator('[data-test-id=output-panel]');
  await output.getByText(/SO-000\d/).first().waitFor();
  await screenshot('4-fetch-test-event');
}));

test('in Lark Events mode: the notice about the one Request URL, and the URL to paste', withFailureScreenshot('events', async () => {
  await page.locator('[data-test-id=parameter-input-mode]').last().click();
  await page.locator('li', { hasText: 'Lark Events' }).first().click();
  const ndv = page.locator('[data-test-id=ndv]');
  await ndv.getByText(/one Request URL/).first().waitFor();
  await ndv.getByText('Webhook URLs').first().click();
  await ndv.getByText('Production URL').first().click().catch(() => undefined);
  await ndv.getByText(/\/webhook\/.*\/lark/).first().waitFor();
  await screenshot('5-lark-events-url');
}));
