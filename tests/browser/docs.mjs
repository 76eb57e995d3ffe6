// Swagger UI in a real browser: /docs lists every tag and operation of the
// spec, "Try it out" works on GET /health; GET /api/v1/status is refused
// (401) until the token is entered through "Authorize", then answers 200; a
// screenshot is saved.
//   node tests/browser/docs.mjs BASE_URL SCREENSHOT.png API_TOKEN
import { chromium } from 'playwright-core';

const [base, screenshot, token] = process.argv.slice(2);
const fail = (message) => { console.error(`FAIL ${message}`); process.exit(1); };

const spec = await (await fetch(`${base}/openapi.json`)).json();
const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.keys(methods).map((method) => ({ path, method, tag: methods[method].tags?.[0] })));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const offline = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) offline.push(request.url()); });
  await page.goto(`${base}/docs`, { waitUntil: 'networkidle' });
  await page.waitForSelector('.opblock-tag', { timeout: 15000 });
  if (offline.length) fail(`/docs fetched from outside the service (no CDN allowed): ${offline.join(', ')}`);

  const tags = await page.$$eval('.opblock-tag', (elements) => elements.map((e) => e.getAttribute('data-tag')));
  for (const tag of spec.tags.map((t) => t.name)) {
    if (!tags.includes(tag)) fail(`tag "${tag}" is not listed (listed: ${tags.join(', ')})`);
  }
  // Expand every tag, then count the operations rendered.
  for (const tag of await page.$$('.opblock-tag')) {
    if ((await tag.getAttribute('data-is-open')) === 'false') await tag.click();
  }
  const rendered = await page.$$eval('.opblock', (blocks) => blocks.map((block) => {
    const method = block.querySelector('.opblock-summary-method')?.textContent.trim().toLowerCase();
    const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path');
    return `${method} ${path}`;
  }));
  for (const { method, path } of operations) {
    if (!rendered.includes(`${method} ${path}`)) fail(`operation ${method.toUpperCase()} ${path} is not listed`);
  }

  const tryItOut = async (path, expected, first) => {
    const block = page.locator('.opblock-get').filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
    if (first) {
      await block.locator('.opblock-summary').first().click();
      await block.locator('button.try-out__btn').click();
    }
    // Wait for this request's answer, then for this block's cell to show it:
    // right after Execute the cell may still hold the previous answer (and
    // another block may already show the expected code).
    const answered = page.waitForResponse(
      (response) => new URL(response.url()).pathname === path && response.request().method() === 'GET',
      { timeout: 15000 },
    );
    await block.locator('button.execute').click();
    await answered;
    const status = block.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 15000 });
    for (const deadline = Date.now() + 15000; Date.now() < deadline;) {
      if ((await status.textContent()).trim() === expected) break;
      await page.waitForTimeout(100);
    }
    const code = (await status.textContent()).trim();
    if (code !== expected) fail(`Try it out on GET ${path} answered ${code}, expected ${expected}`);
    console.log(`ok   Try it out: GET ${path} → ${code}`);
  };
  await tryItOut('/health', '200', true);
  // Without the token, the management API refuses.
  await tryItOut('/api/v1/status', '401', true);
  // "Authorize": enter the bearer token, as a person exploring the API would.
  await page.locator('.scheme-container button.authorize').click();
  const modal = page.locator('.modal-ux');
  await modal.locator('input[type="text"], input[type="password"]').first().fill(token);
  await modal.locator('.auth-btn-wrapper button.authorize').click();
  await modal.locator('button.btn-done, .close-modal').first().click();
  await tryItOut('/api/v1/status', '200', false);
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`ok   ${spec.tags.length} tags and ${operations.length} operations listed; screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
