// @ts-check
'use strict';
// The demo (`npm start`: n8n 2.x and the Lark stand-in) in Debian's Chromium, signed in as its
// owner, for the browser tests: one session per test file, screenshots in
// tests/artifacts/screenshots/, and one more of the page when a test fails.

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { ARTIFACTS } = require('../helpers');
const { startDemo } = require('../../scripts/demo');
const h = require('./n8n-harness');
const { signIn } = require('./n8n-editor');

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');

/**
 * A session to start in `before` and stop in `after`; its `withFailureScreenshot` can wrap test
 * bodies before it starts.
 *
 * @param {string} [prefix] of every screenshot's name
 */
function demoInChromium(prefix = '') {
  /** @type {Awaited<ReturnType<typeof startDemo>> | undefined} */
  let demo;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  const started = () => {
    if (demo === undefined || page === undefined) throw new Error('the browser session has not started');
    return { demo, page };
  };

  /**
   * @param {string} name
   * @param {import('playwright-core').Locator} [show] scrolled into view first
   */
  const screenshot = async (name, show) => {
    await show?.scrollIntoViewIfNeeded();
    await started().page.screenshot({ path: path.join(SCREENSHOTS, `${prefix}${name}.png`), animations: 'disabled' });
  };

  return {
    get demo() {
      return started().demo;
    },
    get page() {
      return started().page;
    },
    screenshot,
    /**
     * A test body that leaves a screenshot of the page behind when it fails.
     *
     * @param {string} name
     * @param {() => Promise<void>} body
     */
    withFailureScreenshot: (name, body) => async () => {
      try {
        await body();
      } catch (error) {
        await screenshot(`failed-${name}`).catch(() => undefined);
        throw error;
      }
    },
    async start() {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      demo = await startDemo({ n8nPort: await h.freePort() });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.setDefaultTimeout(30_000);
      await signIn(page, demo.url, demo.owner);
    },
    async stop() {
      await browser?.close();
      await demo?.stop();
    },
  };
}

module.exports = { demoInChromium };
