// @ts-check
'use strict';
// Not part of `npm test`: the browser tests' Larkbase flows (larkbase-editor-flows.js) in another
// n8n's editor, run by hand, e.g. `node tests/e2e/editor-by-hand.js 1.123.50` for n8n 1.x on
// Node.js 20. Screenshots land in tests/artifacts/screenshots/<version>/.

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { ARTIFACTS } = require('../helpers');
const { startDemo } = require('../../scripts/demo');
const { larkbaseEditorFlows } = require('./larkbase-editor-flows');
const { signIn } = require('./n8n-editor');
const h = require('./n8n-harness');

async function main() {
  const version = process.argv[2] ?? '1.123.50';
  const folder = path.join(ARTIFACTS, 'screenshots', version);
  fs.mkdirSync(folder, { recursive: true });
  const demo = await startDemo({ n8nPort: await h.freePort(), version, log: (line) => console.log(`==> ${line}`) });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await signIn(page, demo.url, demo.owner);
    /** @param {string} name @param {import('playwright-core').Locator} [show] */
    const screenshot = async (name, show) => {
      await show?.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(folder, `${name}.png`), animations: 'disabled' });
    };
    const flows = larkbaseEditorFlows({ page, url: demo.url, lark: demo.lark, screenshot });
    for (const [name, flow] of Object.entries(flows)) {
      const started = Date.now();
      try {
        await flow();
        console.log(`ok ${name} in n8n ${version} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (error) {
        await screenshot(`failed-${name}`).catch(() => undefined);
        console.log(`FAILED ${name} in n8n ${version}: ${error instanceof Error ? error.message : error}`);
        process.exitCode = 1;
        break;
      }
    }
    console.log(`Screenshots in ${folder}`);
  } finally {
    await browser.close();
    await demo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
