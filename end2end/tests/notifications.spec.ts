import { expect, test } from '@playwright/test';
import { App, uniqueEmail } from './fixtures/app';

test('the bell counts a new notification live, and the centre marks it read', async ({ page, baseURL }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await app.register(uniqueEmail(info));
  await expect(page).toHaveURL(/\/$/);
  await app.goto('/rentals');
  const bell = page.getByTestId('unread');
  await expect(bell).toHaveText('');

  // Something happens to the account elsewhere (a script creates an API key).
  const r = await page.request.post('/api/keys', {
    data: { name: 'from a script' },
    headers: { origin: baseURL! },
  });
  expect(r.status()).toBe(201);
  if (app.hydrated) {
    // No reload: the event moves the count.
    await expect(bell).toHaveText('1');
  } else {
    await app.goto('/rentals');
    await expect(bell).toHaveText('1');
  }

  await page.getByTestId('bell').click();
  await expect(page).toHaveURL(/\/notifications$/);
  await app.ready();
  const item = page.getByTestId('notifications').locator('li').first();
  await expect(item).toContainText('from a script');
  await expect(item).toHaveAttribute('data-read', 'false');
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await expect(page.getByTestId('notifications').locator('li').first()).toHaveAttribute('data-read', 'true');
  await expect(page.getByTestId('unread')).toHaveText('');
  expect(app.errors).toEqual([]);
});

test('a customer sets the balance below which they are told, and a bad one is refused', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await app.register(uniqueEmail(info));
  await expect(page).toHaveURL(/\/$/);
  await app.goto('/notifications');
  const field = page.getByTestId('low-balance-threshold');
  const save = page.locator('form', { has: field }).getByRole('button', { name: 'Save' });
  await expect(field).toHaveValue('1.00');
  await field.fill('3');
  await save.click();
  await expect(page.getByText('You will be told when your balance falls below 3.00 USD.')).toBeVisible();
  await app.goto('/notifications');
  await expect(page.getByTestId('low-balance-threshold')).toHaveValue('3.00');
  await page.getByTestId('low-balance-threshold').fill('-2');
  await save.click();
  await expect(page.getByText('must be between 0 (never tell me) and 10000.00 USD')).toBeVisible();
  await app.goto('/notifications');
  await expect(page.getByTestId('low-balance-threshold')).toHaveValue('3.00');
  expect(app.errors).toEqual([]);
});
