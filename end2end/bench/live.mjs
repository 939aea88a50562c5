// The live client in Chromium, for the benchmark suite (`page` scenario), on a signed-in
// customer's /rentals page with its active rentals:
//  0. the bytes the first page fetches ahead once it is interactive and the browser idle;
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
// The files the page took from the browser's cache since resource entry `from`: nothing went
// over the wire for them, though Playwright still reports their requests.
const cachedSince = (from) => page.evaluate((from) => performance.getEntriesByType('resource').slice(from)
  .filter((e) => e.transferSize === 0 && e.decodedBodySize > 0).map((e) => e.name), from);
const entries = () => page.evaluate(() => performance.getEntriesByType('resource').length);
// Every byte on the wire (headers and bodies) of `requests`, and how many went out.
const onTheWire = async (requests, cached = []) => {
  let bytes = 0;
  let sent = 0;
  for (const r of requests) {
    if (cached.includes(r.url())) continue;
    const s = await r.sizes();
    bytes += s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize;
    sent += 1;
  }
  return { requests: sent, bytes };
};
// 0. What the first page fetches ahead once it is interactive and the browser idle: the other
// islands' code (load_islands.js), reported on its own line.
const loaded = [];
const onLoaded = (r) => loaded.push(r);
page.on('requestfinished', onLoaded);
await page.goto(`${base}/rentals`);
await page.waitForSelector('body[data-hydrated="true"]');
// Until every file asked for ahead is in (a customer reads the page for longer than that).
await page.waitForFunction(() => {
  const links = [...document.querySelectorAll('link[rel="prefetch"]')];
  return links.length > 0 && links.every((l) => performance.getEntriesByName(l.href).length > 0);
}, null, { timeout: 10_000 }).catch(() => {});
await page.waitForTimeout(300);
const prefetched = await page.evaluate(() => [...document.querySelectorAll('link[rel="prefetch"]')].map((l) => l.href));
const ahead = await onTheWire(loaded.filter((r) => prefetched.includes(r.url())));
page.off('requestfinished', onLoaded);

// 1. Page changes: every byte on the wire (headers and bodies) until the new page is in; files
// the browser had (transfer size 0) sent nothing.
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
  const from = await entries();
  await link().click();
  await arrived().waitFor();
  await page.waitForTimeout(300);
  page.off('requestfinished', listener);
  changes.push({ to, ...(await onTheWire(requests, await cachedSince(from))) });
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
console.log(JSON.stringify({ ahead, changes, rentals: phones.length, sent: codes.length, shown, requests: asked.filter((r) => r !== 'GET /favicon.svg') }));
await browser.close();
