import { expect, Page, test } from '@playwright/test';
import { App, deliver, fundedAccount, namaskah, RentalsPage } from './fixtures/app';

// The actions, sent by the WASM client to their server functions: each shows that it is
// working, then its result in place (or its refusal at the field), and no page is fetched.

/** Every request for data `page` makes from now on, as "METHOD /path" (code, under /pkg/, and the icon aside). */
function requests(page: Page): string[] {
  const log: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path !== '/favicon.svg' && !path.startsWith('/pkg/')) log.push(`${r.method()} ${path}`);
  });
  return log;
}

/** Holds the answers to `fn` back for a moment, so the working state can be seen. */
async function slow(page: Page, fn: string) {
  await page.route(`**/api/fn/${fn}`, async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
}

test('renting, extending, auto-renew and releasing run in place, refusals at their field', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'actions from the WASM need JavaScript');
  const app = new App(page, true);
  const email = await fundedAccount(app, info, '0.01');
  const rentals = new RentalsPage(app);
  await rentals.open();
  const log = requests(page);
  const notice = page.getByTestId('notice');

  // Not enough money: said under the form, nothing bought, nothing navigated.
  await rentals.rent(12);
  const form = page.locator('form.create-form');
  const refused = form.getByRole('alert').filter({ hasText: 'insufficient balance' });
  await expect(refused).toBeVisible();
  await expect(rentals.cards()).toHaveCount(0);
  expect(log).toEqual(['POST /api/fn/create_rentals']);

  // With money: working, then the new card and what it cost.
  namaskah('credit', '--email', email, '--amount', '50', '--note', 'e2e');
  await slow(page, 'create_rentals');
  await rentals.rent(12);
  const rent = page.getByRole('button', { name: 'Rent number' });
  await expect(rent).toHaveAttribute('aria-busy', 'true');
  await expect(rentals.cards()).toHaveCount(1);
  await expect(rent).not.toHaveAttribute('aria-busy');
  await expect(refused).toHaveCount(0);
  const phone = await rentals.phoneOf(rentals.cards().first());
  await expect(notice).toHaveText(new RegExp(`^✓ Rented \\${phone} until .+ · charged \\d+\\.\\d{2,4} USD$`));
  expect(log).toEqual(['POST /api/fn/create_rentals', 'POST /api/fn/create_rentals']);

  // The same form again is a new purchase (a fresh idempotency key), not the first answer.
  await rentals.rent(12);
  await expect(rentals.cards()).toHaveCount(2);

  await rentals.cards().first().getByRole('link', { name: 'Messages and options' }).click();
  await expect(page.locator('main h1')).toHaveText(/^\+44\d+$/);
  log.length = 0;

  // Past what the provider's order allows: the refusal is at the hours field.
  const hours = page.getByLabel('Extend by (hours)');
  await hours.fill('700');
  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  const refusal = page.locator('#hours-error');
  await expect(refusal).toContainText('can be kept until');
  await expect(hours).toHaveAttribute('aria-invalid', 'true');
  await expect(hours).toBeFocused();

  const ends = (await page.getByTestId('countdown').getAttribute('datetime'))!;
  await hours.fill('1');
  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  await expect(notice).toHaveText(/^Extended until .+ · charged \d+\.\d{2,4} USD$/);
  await expect(refusal).toHaveCount(0);
  await expect(hours).not.toHaveAttribute('aria-invalid');
  await expect(page.getByTestId('countdown')).not.toHaveAttribute('datetime', ends);

  await page.getByRole('button', { name: 'Turn auto-renew on' }).click();
  await expect(page.getByTestId('auto-renew')).toHaveText('on');
  await expect(page.getByRole('button', { name: 'Turn auto-renew off' })).toBeVisible();

  await page.locator('summary', { hasText: 'Release…' }).click();
  await page.getByRole('button', { name: 'Release number' }).click();
  await expect(notice).toHaveText(/^Released \+44\d+ · refunded \d+\.\d{2,4} USD$/);
  await expect(page.getByTestId('status')).toHaveText('released');
  // Nothing left to do with it.
  await expect(page.getByRole('button', { name: 'Extend', exact: true })).toHaveCount(0);

  expect(log.filter((r) => r !== 'POST /api/fn/mark_rental_read')).toEqual([
    'POST /api/fn/extend_rental',
    'POST /api/fn/extend_rental',
    'POST /api/fn/set_rental_auto_renew',
    'POST /api/fn/release_rental',
  ]);
  expect(app.errors).toEqual([]);
});

test('buying, reusing, finishing and cancelling verifications run in place', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'actions from the WASM need JavaScript');
  const app = new App(page, true);
  await fundedAccount(app, info, '10');
  await app.goto('/verifications');
  const log = requests(page);
  const notice = page.getByTestId('notice');

  await slow(page, 'create_verification');
  await app.choose('Service', 'Telegram', 'telegram');
  const buy = page.getByRole('button', { name: 'Get number' });
  await buy.click();
  await expect(buy).toHaveAttribute('aria-busy', 'true');
  await expect(page.locator('article.verification')).toHaveCount(1);
  const first = page.locator(`[data-testid="${await page.locator('article.verification').getAttribute('data-testid')}"]`);
  await expect(buy).not.toHaveAttribute('aria-busy');
  const phone = (await first.getByTestId('phone').textContent())!.trim();
  await expect(notice).toHaveText(new RegExp(`^Your number is \\${phone} · charged \\d+\\.\\d{2,4} USD$`));
  // The history's newest page takes it at once.
  await expect(page.getByTestId('verification-row').first()).toContainText(phone);

  await deliver(request, phone, 'Your Telegram code is 31337');
  await expect(first.getByTestId('code')).toHaveText('31337', { timeout: 3_000 });
  // The same number again: the first is finished, the new one joins at the top.
  await first.getByRole('button', { name: 'Verify again' }).click();
  await expect(page.locator('article.verification')).toHaveCount(2);
  await expect(notice).toHaveText(new RegExp(`^Your number is \\${phone} · charged`));
  await expect(first.getByTestId('status')).toHaveText('finished');
  const again = page.locator('article.verification').first();
  await expect(again).not.toHaveAttribute('data-testid', (await first.getAttribute('data-testid'))!);
  const second = page.locator(`[data-testid="${await again.getAttribute('data-testid')}"]`);

  await deliver(request, phone, 'Your Telegram code is 42424');
  await expect(second.getByTestId('code')).toHaveText('42424', { timeout: 3_000 });
  await second.getByRole('button', { name: 'Finish' }).click();
  await expect(notice).toHaveText(`Finished ${phone} · code 42424`);
  await expect(second.getByTestId('status')).toHaveText('finished');

  await buy.click();
  await expect(page.locator('article.verification')).toHaveCount(3);
  const third = page.locator('article.verification').first();
  await third.getByRole('button', { name: 'Cancel and refund' }).click();
  await expect(notice).toHaveText(/^Cancelled \+44\d+ · refunded \d+\.\d{2,4} USD$/);
  await expect(third.getByTestId('status')).toHaveText('cancelled');
  const rows = page.getByTestId('verification-row');
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('cancelled');

  expect(log).toEqual([
    'POST /api/fn/create_verification',
    'POST /api/fn/reuse_verification',
    'POST /api/fn/finish_verification',
    'POST /api/fn/create_verification',
    'POST /api/fn/cancel_verification',
  ]);
  expect(app.errors).toEqual([]);
});

test('an answer that comes back before its form has hydrated waits for it', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'actions from the WASM need JavaScript');
  const app = new App(page, true);
  await fundedAccount(app, info, '50');
  const rentals = new RentalsPage(app);
  await rentals.open();
  await rentals.rent(12);
  await expect(rentals.cards()).toHaveCount(1);

  // A slow network for code from here on (1.5 s a file): the actions' island fetches its
  // chunk, starts hydrating, and waits for a chunk of its own parts (1.5 s more); the refusal
  // below comes back in between (2.2 s), halfway through that hydration.
  await page.route('**/pkg/**', async (route) => {
    await new Promise((r) => setTimeout(r, 1_500));
    await route.continue();
  });
  await rentals.cards().first().getByRole('link', { name: 'Messages and options' }).click();
  await expect(page.locator('main h1')).toHaveText(/^\+44\d+$/);
  await page.route('**/api/fn/extend_rental', async (route) => {
    await new Promise((r) => setTimeout(r, 2_200));
    await route.continue();
  });
  const hours = page.getByLabel('Extend by (hours)');
  await hours.fill('700');
  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  const refusal = page.locator('#hours-error');
  await expect(refusal).toContainText('can be kept until', { timeout: 10_000 });
  await expect(hours).toHaveAttribute('aria-invalid', 'true');

  // The form hydrated under it and works: the price follows the hours, an extension goes through.
  await hours.fill('2');
  await expect(page.getByTestId('extend-price')).toHaveText(/^Costs \d+\.\d{2,4} USD$/);
  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  await expect(page.getByTestId('notice')).toHaveText(/^Extended until .+ · charged \d+\.\d{2,4} USD$/);
  await expect(refusal).toHaveCount(0);
  expect(app.errors).toEqual([]);
});
