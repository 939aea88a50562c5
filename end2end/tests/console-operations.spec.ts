import { expect, Locator, test } from '@playwright/test';
import { App, fundedAccount, namaskah, PASSWORD, RentalsPage, uniqueEmail } from './fixtures/app';

test('an operator finds a customer, credits them, refunds their rental and reads the system', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const customer = await fundedAccount(app, info);
  await app.ready();
  const rentals = new RentalsPage(app);
  await rentals.open();
  await rentals.rent(24);
  const card = rentals.cards();
  await expect(card).toHaveCount(1);
  // Released early: part of it refunded by the release; an operator can refund the rest.
  await card.locator('summary', { hasText: 'Release…' }).click();
  await card.getByRole('button', { name: 'Release number' }).click();
  await expect(page.getByText('No active numbers. Rent one above.')).toBeVisible();
  await app.signOut();

  const operator = uniqueEmail(info);
  namaskah('user', 'create', '--email', operator, '--password', PASSWORD, '--admin');
  await app.signIn(operator);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();

  // Console → Accounts: find the customer by part of their address.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts' })).toBeVisible();
  await page.getByLabel('Email contains').fill(customer.split('@')[0]);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByTestId('accounts').locator('tbody tr')).toHaveCount(1);
  await page.getByRole('link', { name: customer }).click();
  await expect(page.getByTestId('account-email')).toHaveText(customer);
  const balance = page.getByTestId('account-balance');
  const before = parseFloat((await balance.textContent())!);

  // A credit with its reason: the balance and the ledger show it.
  const credit = page.getByTestId('credit-form');
  await credit.getByLabel('Amount').fill('5');
  await credit.getByLabel('Reason').fill('goodwill for a slow code');
  await credit.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText(/Credited 5\.00 USD to account #\d+/)).toBeVisible();
  const amountOf = async (l: Locator) => parseFloat((await l.textContent())!);
  await expect(async () => expect(await amountOf(balance)).toBeCloseTo(before + 5, 4)).toPass();
  await expect(page.getByTestId('transactions')).toContainText('goodwill for a slow code');

  // Their rentals, across the console: refund part of the one they have.
  await page.getByRole('link', { name: 'Their rentals' }).click();
  await expect(page.getByRole('heading', { name: 'Rentals' })).toBeVisible();
  const row = page.getByTestId('order-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(customer);
  // What the early release gave back already.
  const released = parseFloat((await row.getByTestId('refunded').textContent())!);
  expect(released).toBeGreaterThan(0);
  await row.locator('summary').click();
  await row.getByLabel(/Amount/).fill('0.50');
  await row.getByLabel('Reason').fill('number was slow');
  await row.getByRole('button', { name: 'Refund', exact: true }).click();
  await expect(page.getByText(/Refunded 0\.50 USD of rental #\d+/)).toBeVisible();
  const refunded = page.getByTestId('order-row').getByTestId('refunded');
  await expect(async () => expect(await amountOf(refunded)).toBeCloseTo(released + 0.5, 4)).toPass();
  // Once is all: the row offers no second refund.
  await expect(page.getByTestId('order-row').locator('summary')).toHaveCount(0);

  // The system: this instance's jobs and the pollers' backlog.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'System' }).click();
  await expect(page.getByRole('heading', { name: 'System', exact: true })).toBeVisible();
  await expect(page.getByTestId('jobs').locator('tr[data-job="sms_poller"]')).toBeVisible();
  await expect(page.getByTestId('polling')).toContainText('rentals');
  await page.screenshot({ path: info.outputPath('system.png'), fullPage: true });
  expect(app.errors).toEqual([]);
});

test('support reads accounts and orders but is offered no money moves', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const customer = uniqueEmail(info);
  namaskah('user', 'create', '--email', customer, '--password', PASSWORD);
  const agent = uniqueEmail(info);
  namaskah('user', 'create', '--email', agent, '--password', PASSWORD, '--role', 'support');
  await app.signIn(agent);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await app.goto(`/admin/users?q=${encodeURIComponent(customer)}`);
  await page.getByRole('link', { name: customer }).click();
  await expect(page.getByTestId('account-email')).toHaveText(customer);
  await expect(page.getByTestId('credit-form')).toHaveCount(0);
  const sections = page.getByRole('navigation', { name: 'Console' });
  await expect(sections.getByRole('link', { name: 'Providers' })).toHaveCount(0);
  await expect(sections.getByRole('link', { name: 'System' })).toBeVisible();
  await sections.getByRole('link', { name: 'Analytics' }).click();
  const reports = page.getByRole('navigation', { name: 'Reports' });
  await expect(reports.getByRole('link', { name: 'Usage' })).toBeVisible();
  await expect(reports.getByRole('link', { name: 'Money' })).toHaveCount(0);
  expect(app.errors).toEqual([]);
});
