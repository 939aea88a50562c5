import { expect, test } from '@playwright/test';
import { App, namaskah, PASSWORD, uniqueEmail } from './fixtures/app';

test('an operator sees every provider with its health; a customer does not', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const operator = uniqueEmail(info);
  namaskah('user', 'create', '--email', operator, '--password', PASSWORD, '--admin');

  await app.signIn(operator);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Providers' }).click();
  await expect(page.getByRole('heading', { name: 'Providers' })).toBeVisible();
  const row = page.locator('tr[data-provider="5sim"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('breaker')).toHaveText(/closed/);
  await expect(row).toContainText('USD');
  await expect(row).toContainText('rentals, ');
  await app.signOut();

  const customer = uniqueEmail(info);
  await app.register(customer);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' })).toHaveCount(0);
  await app.goto('/admin/providers');
  await expect(page.getByText('only admins may do this')).toBeVisible();
  await expect(page.locator('tr[data-provider]')).toHaveCount(0);
  expect(app.errors).toEqual([]);
});
