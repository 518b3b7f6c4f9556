// @ts-check
'use strict';
// The Larkbase node built as a new user builds it in n8n's editor, from an empty canvas with the
// default Access Token wiring (Manual Trigger → Larkbase Get Token → Larkbase), against the demo's
// Lark stand-in: Create or Update with the table from the list, its columns and their types, the
// key column and a column mapped by hand, executed twice (created, then updated); Search with a
// filter column from the list; and lists that cannot load (the token node has not run, no
// permission, a wrong base) saying why. tests/e2e/browser.test.js runs them in n8n 2.x;
// tests/e2e/editor-by-hand.js runs them in n8n 1.x, by hand.

const assert = require('node:assert/strict');
const { DEMO_BASE } = require('../lark-stand-in');
const { ORDERS } = require('../../scripts/demo');
const ed = require('./n8n-editor');

/** A table a new user upserts into: its key (Email) is not its primary column (Name). */
const CUSTOMERS = {
  name: 'Customers',
  fields: [
    { name: 'Name', type: 1, isPrimary: true },
    { name: 'Email', type: 1 },
    { name: 'Visits', type: 2 },
    { name: 'Plan', type: 3, property: { options: [{ name: 'Free', id: 'optFree', color: 0 }, { name: 'Pro', id: 'optPro', color: 1 }] } },
    { name: 'Total', type: 20 },
  ],
};

/**
 * @param {{ page: import('playwright-core').Page, url: string,
 *   lark: Awaited<ReturnType<typeof import('../lark-stand-in').startStandIn>>,
 *   screenshot: (name: string, show?: import('playwright-core').Locator) => Promise<void> }} setup
 *   the signed-in page, the editor's URL, the demo's stand-in (its base seeded), and where
 *   screenshots go
 */
function larkbaseEditorFlows({ page, url, lark, screenshot }) {
  const customers = lark.base.createTable(DEMO_BASE.appToken, CUSTOMERS);
  const notShared = lark.base.createBase({ name: 'not shared with the app', forbidden: true });
  // The browser's address of the table, as a person copies it.
  const customersUrl = `https://demo.larksuite.com/base/${DEMO_BASE.appToken}?table=${customers}&view=vewAllRows01`;
  const mapper = page.locator('[data-test-id=resource-mapper-container]');
  const notice = page.locator('[data-test-id=empty-fields-notice]');
  const output = page.locator('[data-test-id=output-panel]');
  const stored = () => lark.base.records(DEMO_BASE.appToken, customers).map((r) => r.fields);

  /** Create or Update, in a new workflow; leaves the node panel closed. */
  async function upsert() {
    await page.goto(`${url}/workflow/new`);
    await ed.addFirstNode(page, 'manual', 'Manual Trigger');
    await ed.addNodeAfter(page, 'When clicking ‘Execute workflow’', { search: 'Larkbase Get Token', name: 'Larkbase Get Token' });
    // The demo's credential is the only one: n8n selects it.
    await ed.param(page, 'credentialSource').waitFor();
    await screenshot('larkbase-01-token-node');
    await ed.closeNode(page);

    await ed.addNodeAfter(page, 'Larkbase Get Token', { search: 'Larkbase', name: 'Larkbase', action: 'Create or update records' });
    assert.match(await ed.param(page, 'accessToken').innerText(), /\{\{ \$json\.access_token \}\}/, 'the default Access Token');
    await ed.selectOption(page, 'domain', 'Custom Base URL');
    await ed.fill(page, 'baseUrl', lark.url);
    await ed.fill(page, 'base', customersUrl);
    // Larkbase Get Token has not run: the columns cannot load yet, and the editor says what to do.
    await notice.filter({ hasText: 'The Access Token has no value in the editor yet' }).waitFor();
    assert.match(await notice.innerText(), /Run it \(Execute previous nodes, in the input panel\)/);
    await screenshot('larkbase-02-token-not-run-yet', notice);

    await page.locator('[data-test-id=ndv-input-panel]').getByRole('button', { name: 'Execute previous nodes' }).click();
    await page.locator('[data-test-id=ndv-input-panel]').getByText(/t-[0-9a-f]{32}/).first().waitFor();
    // The token resolves, and the columns of the table in the base's URL (?table=) load, with their types.
    await notice.filter({ hasText: "The table's columns that can be written" }).waitFor();
    assert.equal(await notice.innerText(), "The table's columns that can be written: Name (text), Email (text), Visits (number), Plan (single select).");
    await screenshot('larkbase-03-columns-and-types', notice);

    const tables = await ed.openList(page, 'table');
    // The demo base's tables, then the one this flow added.
    assert.deepEqual(await tables.items.allInnerTexts(), ['Tasks', ORDERS.name, 'Customers']);
    await screenshot('larkbase-04-table-list');
    await tables.items.filter({ hasText: 'Customers' }).click();

    const key = page.locator('[data-test-id=matching-column-select]');
    await key.click();
    await page.locator('[data-test-id=matching-column-option-Email]').click();
    await page.locator('[data-test-id=matching-column-option-Name]').click();
    await key.click();
    assert.match(await key.innerText(), /Columns to Match On\s+Email\s/);

    // By hand, the columns to write are added one by one, the key among them: the columns
    // left out are not written.
    await ed.mappingMode(page, 'Map Each Column Manually');
    const addColumn = async (/** @type {string} */ label) => {
      await mapper.locator('[data-test-id=add-fields-select]').click();
      await ed.dropdownOptions(page).filter({ hasText: label }).first().click();
    };
    await mapper.locator('[data-test-id=mapping-fields-container]').waitFor();
    if (!(await ed.param(page, 'Email').isVisible())) await addColumn('Email (text)');
    assert.match(await mapper.locator('[data-test-id=mapping-fields-container]').innerText(), /Email \(text\) \(using to match\)/);
    await ed.fill(page, 'Email', 'ana@example.com');
    await mapper.locator('[data-test-id=add-fields-select]').click();
    const addable = ed.dropdownOptions(page);
    await addable.filter({ hasText: 'Name (text)' }).waitFor();
    const offered = (await addable.allInnerTexts()).map((text) => text.trim());
    for (const column of ['Name (text)', 'Visits (number)', 'Plan (single select)']) assert.ok(offered.includes(column), `${column} can be added`);
    assert.ok(!offered.some((text) => text.startsWith('Total')), 'a formula is not offered');
    await screenshot('larkbase-05-columns-to-add');
    await addable.filter({ hasText: 'Name (text)' }).click();
    await ed.fill(page, 'Name', 'Ana');
    await screenshot('larkbase-06-key-and-a-column-by-hand', ed.param(page, 'Name'));

    await page.locator('[data-test-id=node-execute-button]').click();
    await output.getByText('created').first().waitFor();
    await screenshot('larkbase-07-created');
    assert.deepEqual(stored(), [{ Email: 'ana@example.com', Name: 'Ana' }]);

    await ed.fill(page, 'Name', 'Ana Nguyen');
    await page.locator('[data-test-id=node-execute-button]').click();
    await output.getByText('updated').first().waitFor();
    await screenshot('larkbase-08-updated');
    assert.deepEqual(stored(), [{ Email: 'ana@example.com', Name: 'Ana Nguyen' }], 'the same record, updated');

    // A base the app was not given: the mapper says so, instead of "no columns".
    // The new base clears the table picked from the old one's list; the URL names one.
    await ed.fill(page, 'base', `https://demo.larksuite.com/base/${notShared}?table=tblOfTheirs0001`);
    await ed.mappingMode(page, 'Map Automatically');
    await notice.filter({ hasText: 'Lark returned code 91403' }).waitFor();
    assert.match(await notice.innerText(), /^No columns to show\. Lark returned code 91403: Forbidden\. Give the app access to the base/);
    await screenshot('larkbase-09-no-permission', notice);
    await ed.closeNode(page);
  }

  /** Search, fed by the same token node. */
  async function search() {
    await ed.addNodeAfter(page, 'Larkbase Get Token', { search: 'Larkbase', name: 'Larkbase', action: 'Search records' });
    await ed.selectOption(page, 'domain', 'Custom Base URL');
    await ed.fill(page, 'baseUrl', lark.url);
    await ed.fill(page, 'base', `https://demo.larksuite.com/base/${DEMO_BASE.appToken}`);
    const tables = await ed.openList(page, 'table');
    await tables.items.filter({ hasText: 'Customers' }).click();
    await ed.ndv(page).getByRole('button', { name: 'Add Condition' }).click();
    const columns = await ed.openOptions(page, 'field', 'Email', 'filters');
    // Only the texts: an empty item of another of n8n's menus was seen visible too (1.123.50).
    const texts = (await columns.allInnerTexts()).map((text) => text.trim()).filter(Boolean);
    assert.deepEqual(texts, ['Name', 'Email', 'Visits', 'Plan', 'Total']);
    await screenshot('larkbase-10-filter-column-list');
    await columns.filter({ hasText: 'Email' }).click();
    await ed.fill(page, 'value', 'ana@example.com', 'filters');
    await page.locator('[data-test-id=node-execute-button]').click();
    await output.getByText('Ana Nguyen').first().waitFor();
    assert.match(await output.innerText(), /1 item/);
    await screenshot('larkbase-11-search-found');

    await ed.fill(page, 'base', `https://demo.larksuite.com/base/bascnNoSuchBase0001?table=${customers}`);
    const wrong = await ed.openList(page, 'table');
    await wrong.error.waitFor();
    assert.match(await wrong.error.innerText(), /Lark returned code 1254040: BaseTokenNotFound\. Check the base: its URL or app_token/);
    await screenshot('larkbase-12-wrong-base');
  }

  return { upsert, search };
}

module.exports = { larkbaseEditorFlows, CUSTOMERS };
