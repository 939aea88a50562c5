// Time to interactive of one page in Chromium, for the benchmark suite: from the start of
// navigation until the WASM client has hydrated the page (body[data-hydrated=true]).
// Usage: node interactive.mjs URL SESSION_COOKIE → prints, as JSON, the median of 5 cold loads
// in ms (`ms`) and the client code the page fetched besides its own script, WASM and style
// (`chunks`: the lazy chunks of islands it shows at once), which the page's weight counts too.
import { chromium } from '@playwright/test';

const [url, session] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const times = [];
const chunks = new Set();
// The client's own files, whatever content hash their names carry.
const own = /^\/pkg\/namaskah\.([^/]+\.)?(js|wasm|css)$/;
for (let i = 0; i < 5; i++) {
  // A fresh context each time: nothing cached, as on a first visit.
  const context = await browser.newContext();
  await context.addCookies([{ name: 'namaskah_session', value: session, url }]);
  // Notes the moment the client marks the page hydrated, on the page's own clock.
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]');
  const ms = await page.evaluate(() => window.__hydratedAt);
  // The code asked for until then (what the page fetches ahead at idle afterwards is not part
  // of its load: live.mjs reports it).
  const before = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= window.__hydratedAt).map((e) => new URL(e.name).pathname));
  for (const path of before) if (path.startsWith('/pkg/') && !own.test(path)) chunks.add(path);
  times.push(ms);
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ ms: times[Math.floor(times.length / 2)], chunks: [...chunks] }));
