import { expect, test } from '@playwright/test';
import { App, fundedAccount, namaskah, PASSWORD, RentalsPage, uniqueEmail } from './fixtures/app';

// The policy's own defaults, but for the `pro` tier's discount (nobody else is in it, so the
// other tests' prices are untouched, whichever runs first).
const TIERS = 'standard 0\npro 0.07\nreseller 0.1';

test('an admin sets a tier discount in the console; a customer in it is shown and charged less', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const customer = await fundedAccount(app, info);
  await app.signOut();

  const admin = uniqueEmail(info);
  namaskah('user', 'create', '--email', admin, '--password', PASSWORD, '--admin');
  await app.signIn(admin);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Pricing' }).click();
  await expect(page.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await expect(page.getByTestId('pricing-month')).toContainText('100% of thirty 1-day rentals');
  // A bad line is refused with the field named; nothing changes.
  await page.getByLabel(/^Tiers/).fill('standard 0\nPro!');
  await page.getByRole('button', { name: 'Save the new prices' }).click();
  await expect(page.getByText(/tiers line 2 must be two values/)).toBeVisible();
  await page.getByLabel(/^Tiers/).fill(TIERS);
  await page.getByRole('button', { name: 'Save the new prices' }).click();
  await expect(page.getByTestId('pricing-changed')).toContainText('by account #');
  await expect(page.getByLabel(/^Tiers/)).toHaveValue(TIERS);

  // The customer's page moves them to `pro`.
  await app.goto(`/admin/users?q=${encodeURIComponent(customer)}`);
  await page.getByRole('link', { name: customer }).click();
  await page.getByLabel('Tier').selectOption('pro');
  await page.getByRole('button', { name: 'Move' }).click();
  await expect(page.getByTestId('account-tier')).toHaveText('pro');
  await app.signOut();

  // Shown 7 % less than the list price (a day's rental is above the provider's cost), and
  // charged exactly that.
  const list = await (await page.request.get('/api/catalog/services?country=GB')).json();
  const day = list.rentals.find((r: { hours: number }) => r.hours === 24);
  const listed = Number(day.price);
  await app.signIn(customer);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  const rentals = new RentalsPage(app);
  await rentals.open();
  const option = page.getByLabel('For how long').locator('option[value="24"]');
  const shownText = (await option.textContent())!.match(/([\d.]+ USD)/)![1];
  expect(Number(shownText.split(' ')[0])).toBeCloseTo(listed * 0.93, 3);
  await expect(page.getByTestId('renewal-prediction')).toContainText('over the first 30 days');
  await rentals.rent(24);
  await expect(rentals.cards()).toHaveCount(1);
  await app.goto('/account');
  await expect(page.getByTestId('transactions')).toContainText(`-${shownText}`);
  expect(app.errors).toEqual([]);
});
