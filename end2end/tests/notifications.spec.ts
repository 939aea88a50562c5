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
