// The live client in Chromium, for the benchmark suite (`page` scenario), on a signed-in
// customer's /rentals page with its active rentals:
//  1. the bytes a page change moves (rentals → verifications → rentals → a rental → rentals,
//     each on its own);
//  2. SMS sent upstream to the rentals, one every 100 ms, each with its own code: when each
//     code shows in its card (epoch ms, the browser's clock), and every request the page made
//     meanwhile.
// Usage: node live.mjs BASE_URL SESSION_COOKIE SMS_COUNT → prints one JSON object.
import { chromium } from '@playwright/test';

const [base, session, count = '100'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const context = await browser.newContext();
await context.addCookies([{ name: 'namaskah_session', value: session, url: base }]);
const page = await context.newPage();
await page.goto(`${base}/rentals`);
await page.waitForSelector('body[data-hydrated="true"]');

// 1. Page changes: every byte on the wire (headers and bodies) until the new page is in.
const changes = [];
const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
const toRental = () => page.getByRole('link', { name: 'Messages and options' }).first();
const heading = (text) => page.locator('main h1', { hasText: text });
for (const [to, link, arrived] of [
  ['Verifications', () => nav('Verifications'), () => heading('Verifications')],
  ['Rentals', () => nav('Rentals'), () => heading('Rentals')],
  ['a rental', toRental, () => page.locator('main h1[data-testid="phone"]')],
  ['Rentals', () => nav('Rentals'), () => heading('Rentals')],
]) {
  const requests = [];
  const listener = (r) => requests.push(r);
  page.on('requestfinished', listener);
  await link().click();
  await arrived().waitFor();
  await page.waitForTimeout(300);
  page.off('requestfinished', listener);
  let bytes = 0;
  for (const r of requests) {
    const s = await r.sizes();
    bytes += s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize;
  }
  changes.push({ to, requests: requests.length, bytes });
}

// 2. SMS: note when each code first shows in a card.
await page.evaluate(() => {
  window.__shown = {};
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-testid="last-code"]')) {
      const code = el.textContent.trim();
      if (!(code in window.__shown)) window.__shown[code] = Date.now();
    }
  }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
});
const phones = await page.locator('[data-testid^="rental-"] [data-testid="phone"]').allTextContents();
const asked = [];
page.on('request', (r) => asked.push(`${r.method()} ${new URL(r.url()).pathname}`));
const codes = [];
for (let i = 0; i < Number(count); i++) {
  const code = String(500000 + i);
  codes.push(code);
  const r = await fetch(`${base}/sandbox/5sim/control/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: phones[i % phones.length].trim(), sender: 'Bench', text: `Your code is ${code}` }),
  });
  if (!r.ok) throw new Error(`control/sms: ${r.status}`);
  await new Promise((done) => setTimeout(done, 100));
}
// Until every code was shown, or 10 s.
for (let waited = 0; waited < 10_000; waited += 100) {
  const shown = await page.evaluate(() => Object.keys(window.__shown).length);
  if (shown >= codes.length) break;
  await new Promise((done) => setTimeout(done, 100));
}
const shown = await page.evaluate(() => window.__shown);
console.log(JSON.stringify({ changes, rentals: phones.length, sent: codes.length, shown, requests: asked.filter((r) => r !== 'GET /favicon.svg') }));
await browser.close();
