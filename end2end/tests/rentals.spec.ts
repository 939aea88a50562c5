import { expect, test } from '@playwright/test';
import { App, namaskah, uniqueEmail } from './fixtures/app';

/** Delivers an SMS to a number through the 5SIM emulator's control API. */
async function deliver(request: import('@playwright/test').APIRequestContext, phone: string, text: string) {
  const r = await request.post('/sandbox/5sim/control/sms', { data: { phone, sender: 'Telegram', text } });
  expect(r.status()).toBe(200);
}

test('rent a number, see its SMS arrive live, release it', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  namaskah('credit', '--email', email, '--amount', '50', '--note', 'e2e');

  await app.goto('/rentals');
  await expect(page.getByRole('heading', { name: 'Rentals' })).toBeVisible();
  await page.getByLabel('For how long').selectOption('24');
  await page.getByRole('button', { name: 'Rent number' }).click();
  const card = page.locator('[data-testid^="rental-"]').first();
  await expect(card).toBeVisible();
  const phone = (await card.getByTestId('phone').textContent())!.trim();
  expect(phone).toMatch(/^\+44\d+$/);
  await expect(card.getByTestId('message-count')).toHaveText('0 messages');

  if (app.hydrated) {
    // Balance in the header follows the charge without a reload.
    await expect(app.headerBalance()).not.toHaveText('50.00 USD');
    await deliver(request, phone, 'Your Telegram code is 48213');
    await expect(card.getByTestId('last-code')).toHaveText('48213', { timeout: 3_000 });
    await expect(card.getByTestId('message-count')).toHaveText('1 message');

    // Attacker-controlled text is shown as text and runs nothing.
    await deliver(request, phone, '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>');
    await card.getByRole('link', { name: 'Messages and options' }).click();
    await expect(page.getByTestId('messages')).toContainText('<img src=x onerror="window.__xss=1">', { timeout: 3_000 });
    await expect(page.getByTestId('messages')).toContainText('<script>window.__xss=2</script>');
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
    await app.goto('/rentals');
  }

  const before = await app.headerBalance().textContent();
  const fresh = page.locator('[data-testid^="rental-"]').first();
  await fresh.locator('summary', { hasText: 'Release…' }).click();
  await fresh.getByRole('button', { name: 'Release number' }).click();
  await expect(page.getByText('No active numbers. Rent one above.')).toBeVisible();
  await expect(app.headerBalance()).not.toHaveText(before!);
  expect(app.errors).toEqual([]);
});
