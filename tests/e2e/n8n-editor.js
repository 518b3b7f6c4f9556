// @ts-check
'use strict';
// Steps a person takes in n8n's editor, for the browser tests (n8n 2.x) and for trying the same
// flows by hand in n8n 1.x (tests/e2e/editor-by-hand.js). Each step waits for what it needs on
// the page, never for a fixed time.

/** @typedef {import('playwright-core').Page} Page */

/**
 * @param {Page} page
 * @param {string} url the editor
 * @param {{ email: string, password: string }} owner
 */
async function signIn(page, url, owner) {
  await page.goto(`${url}/signin`);
  await page.fill('input[name=emailOrLdapLoginId]', owner.email);
  await page.fill('input[name=password]', owner.password);
  await page.click('[data-test-id=form-submit-button]');
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
}

/** @param {Page} page @param {string} name */
const canvasNode = (page, name) => page.locator(`[data-test-id=canvas-node][data-node-name="${name}"]`);

/** The open node panel. @param {Page} page */
const ndv = (page) => page.locator('[data-test-id=ndv]');

/**
 * A parameter's input in the open node panel, e.g. `domain`, or `filters` → `field` for a
 * parameter inside a fixed collection.
 *
 * @param {Page} page
 * @param {string} name
 * @param {string} [within] the fixed collection it is in
 */
const param = (page, name, within) =>
  ndv(page).locator(`${within ? `[data-test-id=fixed-collection-${within}] ` : ''}[data-test-id=parameter-input-${name}]`).first();

/** An open dropdown's options (a select's, or a menu's). @param {Page} page */
const dropdownOptions = (page) =>
  page
    .locator('.el-select-dropdown__item:visible, [role=option]:visible, .el-dropdown-menu__item:visible, [role=menuitem]:visible')
    .filter({ hasText: /\S/ });

/**
 * Types `search` into the node creator's search box (the creator already opening): into the box
 * itself, since keys typed while the panel slides in were seen lost.
 *
 * @param {Page} page
 * @param {string} search
 */
async function typeSearch(page, search) {
  await page.locator('[data-test-id=node-creator] input').first().pressSequentially(search);
}

/**
 * Types into the node creator (already open) and picks the node `name`: a plain node, or a node
 * with actions, then `action` among them.
 *
 * @param {Page} page
 * @param {string} search
 * @param {string} name the node's display name
 * @param {string} [action] e.g. 'Create or update records'
 */
async function chooseInCreator(page, search, name, action) {
  const creator = page.locator('[data-test-id=node-creator]');
  await typeSearch(page, search);
  await creator.locator('[data-test-id=node-creator-item-name]', { hasText: new RegExp(`^${name}$`) }).first().click();
  if (action) await creator.getByText(action, { exact: true }).first().click();
}

/**
 * Adds the first node of an empty workflow.
 *
 * @param {Page} page
 * @param {string} search
 * @param {string} name
 */
async function addFirstNode(page, search, name) {
  await page.locator('[data-test-id=canvas-add-button]').click();
  await chooseInCreator(page, search, name);
  await page.locator('[data-test-id=canvas-node]').first().waitFor();
}

/**
 * Adds a node fed by `from`: from its free output's plus, or, when its output is taken, by
 * selecting it and using the canvas's add button (n8n connects the new node to the selection).
 * A community node shows its details first: "Add to workflow".
 *
 * @param {Page} page
 * @param {string} from
 * @param {{ search: string, name: string, action?: string }} node
 */
async function addNodeAfter(page, from, { search, name, action }) {
  const plus = canvasNode(page, from).locator('[data-test-id=canvas-handle-plus]');
  if (await plus.isVisible()) {
    await plus.click();
  } else {
    await canvasNode(page, from).click();
    await page.locator('[data-test-id=node-creator-plus-button]').click();
  }
  await chooseInCreator(page, search, name, action);
  if (!action) {
    const add = page.getByRole('button', { name: 'Add to workflow' });
    await add.or(ndv(page)).first().waitFor();
    if (await add.isVisible()) await add.click();
  }
  await ndv(page).waitFor();
}

/** Closes the open node panel (2.x: its close button; 1.x: "Back to canvas"). @param {Page} page */
async function closeNode(page) {
  await page.locator('[data-test-id=ndv-close-button], [data-test-id=back-to-canvas]').first().click();
  await ndv(page).waitFor({ state: 'hidden' });
}

/**
 * Opens an options parameter's list until `expected` is in it: a list opened while what it
 * depends on was still changing (a table just picked) can come up empty, and is opened again.
 *
 * @param {Page} page
 * @param {string} name
 * @param {string} expected an option's text
 * @param {string} [within]
 */
async function openOptions(page, name, expected, within) {
  const options = dropdownOptions(page);
  for (let attempt = 1; ; attempt++) {
    await param(page, name, within).click();
    try {
      await options.filter({ hasText: expected }).first().waitFor({ timeout: 10_000 });
      return options;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Picks `option` in an options parameter.
 *
 * @param {Page} page
 * @param {string} name
 * @param {string} option the option's display name
 * @param {string} [within]
 */
async function selectOption(page, name, option, within) {
  await param(page, name, within).click();
  await dropdownOptions(page).filter({ hasText: option }).first().click();
}

/**
 * Fills a text parameter (or a field of the column mapper, by its column name).
 *
 * @param {Page} page
 * @param {string} name
 * @param {string} value
 * @param {string} [within]
 */
async function fill(page, name, value, within) {
  const input = param(page, name, within);
  const rlc = input.locator('[data-test-id=rlc-input]');
  const field = (await rlc.count()) ? rlc : input.locator('input, textarea').first();
  await field.fill(value);
  // Leaving the field closes what n8n shows under a focused one (1.x: a tip over the next field).
  await field.blur();
}

/**
 * Picks the column mapper's mode: 'Map Automatically' or 'Map Each Column Manually'.
 *
 * @param {Page} page
 * @param {string} mode
 */
async function mappingMode(page, mode) {
  await ndv(page).locator('[data-test-id=mapping-mode-select]').click();
  await dropdownOptions(page).filter({ hasText: mode }).first().click();
}

/**
 * Opens a resource locator's list (its "From list" mode) and resolves to the list, or to its
 * error once it says why it could not load.
 *
 * @param {Page} page
 * @param {string} name
 */
async function openList(page, name) {
  await param(page, name).locator('[data-test-id=rlc-input]').click();
  const items = page.locator('[data-test-id=rlc-item]');
  const error = page.locator('[data-test-id=rlc-error-container]:visible');
  await items.first().or(error).waitFor();
  return { items, error };
}

module.exports = { addFirstNode, addNodeAfter, canvasNode, chooseInCreator, closeNode, dropdownOptions, fill, mappingMode, ndv, openList, openOptions, param, selectOption, signIn, typeSearch };
