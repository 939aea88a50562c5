import { expect, Page, test, TestInfo } from '@playwright/test';
import { App, deliver, fundedAccount, RentalsPage } from './fixtures/app';

/** A new signed-in account on its rentals page, with one number rented through the form. */
async function withOneRental(page: Page, info: TestInfo) {
  const app = new App(page, true);
  await fundedAccount(app, info);
  const rentals = new RentalsPage(app);
  await rentals.open();
  await rentals.rent(12);
  const card = rentals.cards().first();
  return { app, rentals, card, phone: await rentals.phoneOf(card) };
}

/**
 * Every request `page` makes from now on, as "METHOD /path" (the icon, fetched when the browser
 * likes, aside). `code`: also the client's code under /pkg/ (the lazy islands' chunks, fetched
 * once when a page first shows them).
 */
function requests(page: Page, { code = false } = {}): string[] {
  const log: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path !== '/favicon.svg' && (code || !path.startsWith('/pkg/'))) log.push(`${r.method()} ${path}`);
  });
  return log;
}

test('pages change without a reload: the document, its stream and its state stay; back and forward work', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'changing pages without a reload needs JavaScript');
  const { app, rentals, phone } = await withOneRental(page, info);
  await expect(rentals.cards()).toHaveCount(1);

  const log = requests(page, { code: true });
  await page.evaluate(() => ((window as any).__marker = 'same document'));
  const balance = await app.headerBalance().elementHandle();
  const nav = page.getByRole('navigation', { name: 'Main' });

  /** The page `heading` is shown at `url`, titled `title`, its heading focused, in the same document. */
  const arrived = async (url: RegExp, heading: string, title: string) => {
    await expect(page).toHaveURL(url);
    const h1 = page.locator('main h1');
    await expect(h1).toHaveText(heading);
    await expect(h1).toBeFocused();
    await expect(page).toHaveTitle(`${title} · Namaskah SMS`);
    expect(await page.evaluate(() => (window as any).__marker)).toBe('same document');
  };

  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await arrived(/\/$/, 'Dashboard', 'Dashboard');
  await nav.getByRole('link', { name: 'Verifications' }).click();
  await arrived(/\/verifications$/, 'Verifications', 'Verifications');
  await nav.getByRole('link', { name: 'Rentals' }).click();
  await arrived(/\/rentals$/, 'Rentals', 'Rentals');
  await rentals.cards().first().getByRole('link', { name: 'Messages and options' }).click();
  await arrived(/\/rentals\/\d+$/, phone, `Rental ${phone}`);
  await page.getByRole('link', { name: 'History', exact: true }).click();
  await arrived(/\/rentals\/history$/, 'Rental history', 'Rental history');
  await nav.getByRole('link', { name: 'API keys' }).click();
  await arrived(/\/keys$/, 'API keys', 'API keys');
  await nav.getByRole('link', { name: 'Account' }).click();
  await arrived(/\/account$/, 'Account', 'Account');
  // The navigation marks the page it is on.
  await expect(nav.getByRole('link', { name: 'Account' })).toHaveAttribute('aria-current', 'page');

  await page.goBack();
  await arrived(/\/keys$/, 'API keys', 'API keys');
  await page.goBack();
  await arrived(/\/rentals\/history$/, 'Rental history', 'Rental history');
  await page.goForward();
  await arrived(/\/keys$/, 'API keys', 'API keys');

  // A search form changes the page too, its answer at its own URL.
  await nav.getByRole('link', { name: 'Verifications' }).click();
  await arrived(/\/verifications$/, 'Verifications', 'Verifications');
  await page.getByLabel('Search number, code or message').fill('nothing-like-this');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/verifications\?q=nothing-like-this/);
  await expect(page.getByTestId('verification-history-empty')).toBeVisible();

  // One header, one stream: nothing but the pages themselves was fetched again.
  expect(await balance!.evaluate((e) => e.isConnected)).toBe(true);
  expect(log.filter((r) => !r.startsWith('GET /') || r.startsWith('GET /api/'))).toEqual([]);
  // The code of the lazy islands came in chunks named after their content (and their list);
  // the main client never again.
  const code = log.filter((r) => r.startsWith('GET /pkg/'));
  const chunk = /^GET \/pkg\/((chunk_\d+|split_\w+)\.[\w-]+\.wasm|__wasm_split_manifest\.[\w-]+\.json)$/;
  expect(code.filter((r) => !chunk.test(r))).toEqual([]);
  // Each over the network once at most (fetched ahead, then taken from the browser's cache).
  const fetched = await page.evaluate(() =>
    performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/pkg/') && (e as PerformanceResourceTiming).transferSize > 0)
      .map((e) => new URL(e.name).pathname));
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(app.errors).toEqual([]);
});

test('an SMS shows in the card and in the open message list from its event alone', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'live updates need JavaScript');
  const { app, card, phone } = await withOneRental(page, info);

  const log = requests(page);
  const sent = Date.now();
  await deliver(request, phone, 'Your code is 77001');
  await expect(card.getByTestId('last-code')).toHaveText('77001', { timeout: 3_000 });
  info.annotations.push({ type: 'SMS sent upstream → shown in the card', description: `${Date.now() - sent} ms` });
  await expect(card.getByTestId('message-count')).toHaveText('1 message');
  await expect(card.getByTestId('unread')).toHaveText('1 new');
  expect(log).toEqual([]);

  await card.getByRole('link', { name: 'Messages and options' }).click();
  const messages = page.getByTestId('messages');
  await expect(messages.locator('li')).toHaveCount(1);
  log.length = 0;
  await deliver(request, phone, 'Your code is 77002');
  await expect(messages.locator('li')).toHaveCount(2, { timeout: 3_000 });
  await expect(messages.locator('li').first()).toContainText('77002');
  // Shown is seen: the list marks it read, and asks for no page and no snapshot.
  expect(log.filter((r) => r !== 'POST /api/fn/mark_rental_read')).toEqual([]);
  expect(app.errors).toEqual([]);
});

test('the server drops the stream; an SMS that came meanwhile shows once it reconnects', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'live updates need JavaScript');
  const { app, card, phone } = await withOneRental(page, info);

  const log = requests(page);
  const dropped = await request.post('/sandbox/control/streams/disconnect');
  expect(dropped.status()).toBe(200);
  expect((await dropped.json()).disconnected).toBeGreaterThan(0);
  await deliver(request, phone, 'Your code is 66002');
  // The browser reconnects by itself (a few seconds) and the server replays what it missed.
  await expect(card.getByTestId('last-code')).toHaveText('66002', { timeout: 10_000 });
  expect(log.filter((r) => r !== 'GET /api/events')).toEqual([]);
  expect(app.errors).toEqual([]);
});

test('islands that hydrate late start from what was drawn and keep what events said since', async ({ page, context }, info) => {
  test.skip(info.project.name !== 'hydrated', 'live updates need JavaScript');
  const { app, card, phone } = await withOneRental(page, info);
  // Drawn with the pointer away from its actions, so they wait for the live data.
  const href = (await card.getByRole('link', { name: 'Messages and options' }).getAttribute('href'))!;
  await page.mouse.move(0, 0);
  await app.goto(href);
  await expect(page.locator('main h1')).toHaveText(phone);
  const status = page.getByTestId('status');
  await expect(status).toHaveText('active');

  // Another tab releases the number: the first live news this page hears.
  const other = new App(await context.newPage(), true);
  const rentals = new RentalsPage(other);
  await rentals.open();
  await rentals.cards().first().locator('summary', { hasText: 'Release…' }).click();
  await rentals.cards().first().getByRole('button', { name: 'Release number' }).click();
  await expect(rentals.cards()).toHaveCount(0);

  // The rental page follows; its actions (waiting until the live data changed) hydrate over
  // the page as drawn, an active rental, and then go with it, undoing nothing.
  await expect(status).toHaveText('released');
  await expect(page.getByRole('button', { name: 'Extend', exact: true })).toHaveCount(0);
  await page.waitForTimeout(300);
  await expect(status).toHaveText('released');
  await expect(page.getByRole('button', { name: 'Extend', exact: true })).toHaveCount(0);

  // The rent form, drawn before the other tab spends, hydrates when it is used: the header
  // keeps the balance the events said.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rentals' }).click();
  await expect(page.locator('main h1')).toHaveText('Rentals');
  await rentals.rent(12);
  await expect(rentals.cards()).toHaveCount(1);
  const after = (await other.headerBalance().textContent())!;
  await expect(app.headerBalance()).toHaveText(after);
  await page.getByLabel('For how long').selectOption('12');
  await expect(page.getByTestId('create-quote')).toContainText('balance after');
  await page.waitForTimeout(300);
  await expect(app.headerBalance()).toHaveText(after);
  expect(app.errors).toEqual([]);
  expect(other.errors).toEqual([]);
});
