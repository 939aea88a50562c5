import { expect, test } from '@playwright/test';
import { App, deliver, fundedAccount } from './fixtures/app';

async function buyTelegram(app: App) {
  await app.goto('/verifications');
  await expect(app.page.getByRole('heading', { name: 'Verifications', exact: true })).toBeVisible();
  await app.choose('Service', 'Telegram', 'telegram');
  await app.page.getByRole('button', { name: 'Get number' }).click();
  const card = app.page.locator('[data-testid^="verification-"]').first();
  await expect(card).toBeVisible();
  return card;
}

test('buy a number, see the code arrive live, copy it, finish', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await fundedAccount(app, info, '10');
  const card = await buyTelegram(app);
  const phone = (await card.getByTestId('phone').textContent())!.trim();
  expect(phone).toMatch(/^\+44\d+$/);
  await expect(card.getByTestId('status')).toHaveText('waiting for SMS');
  await expect(app.headerBalance()).not.toHaveText('10.00 USD');
  // Said on the page the form returns to.
  await expect(page.getByTestId('notice')).toHaveText(
    new RegExp(`^Your number is \\${phone} · charged \\d+\\.\\d{2,4} USD$`),
  );

  await deliver(request, phone, 'Your Telegram code is 70915. Do not share it.');
  if (app.hydrated) {
    // Live, within a second of the provider having it, and big.
    await expect(card.getByTestId('code')).toHaveText('70915', { timeout: 1_000 });
  } else {
    await expect(async () => {
      await page.reload();
      await expect(card.getByTestId('code')).toHaveText('70915', { timeout: 500 });
    }).toPass({ timeout: 10_000 });
  }
  await expect(card.getByTestId('status')).toHaveText('code received');
  const paid = (await app.headerBalance().textContent())!;
  await card.getByRole('button', { name: 'Finish' }).click();
  if (app.hydrated) {
    // Done in place: the card stays where it is, with how it ended.
    await expect(card.getByTestId('status')).toHaveText('finished');
  } else {
    await expect(page.getByTestId('no-open')).toBeVisible();
  }
  await expect(page.getByTestId('notice')).toHaveText(`Finished ${phone} · code 70915`);
  const row = page.getByTestId('verification-row').first();
  await expect(row).toContainText('finished');
  await expect(row).toContainText('70915');
  await expect(app.headerBalance()).toHaveText(paid);
  expect(app.errors).toEqual([]);
});

test('no SMS in time: timed out, and the refund shows in the header balance', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await fundedAccount(app, info, '10');
  await buyTelegram(app);
  await expect(app.headerBalance()).not.toHaveText('10.00 USD');

  // The provider's 15 minutes pass with no SMS.
  const r = await request.post('/sandbox/control/clock', { data: { advance_seconds: 16 * 60 } });
  expect(r.status()).toBe(200);
  if (app.hydrated) {
    // The card stays where it is, with how it ended.
    const card = page.locator('[data-testid^="verification-"]').first();
    await expect(card.getByTestId('status')).toHaveText('timed out');
    await expect(card).toContainText('refunded');
  } else {
    await page.reload();
    await expect(page.getByTestId('no-open')).toBeVisible();
  }
  await expect(app.headerBalance()).toHaveText('10.00 USD');
  const row = page.getByTestId('verification-row').first();
  await expect(row).toContainText('timed out');
  await expect(row).toContainText('refunded');
  expect(app.errors).toEqual([]);
});

test('an answer that comes late does not undo what happened since', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'answers are applied in place by the client');
  const app = new App(page, true);
  await fundedAccount(app, info, '10');
  await app.goto('/verifications');
  await app.choose('Service', 'Telegram', 'telegram');
  // The purchase's answer is held until the number has timed out; its live event is not.
  let answer!: () => void;
  const held = new Promise<void>((go) => (answer = go));
  await page.route('**/api/fn/create_verification', async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });
  await page.getByRole('button', { name: 'Get number' }).click();
  const card = page.locator('[data-testid^="verification-"]').first();
  await expect(card.getByTestId('status')).toHaveText('waiting for SMS');
  const r = await request.post('/sandbox/control/clock', { data: { advance_seconds: 16 * 60 } });
  expect(r.status()).toBe(200);
  await expect(card.getByTestId('status')).toHaveText('timed out');
  answer();
  await expect(page.getByTestId('notice')).toContainText('Your number is');
  await expect(card.getByTestId('status')).toHaveText('timed out');
  await expect(card).toContainText('refunded');
  expect(app.errors).toEqual([]);
});

test('cancel before any SMS refunds in full; history search finds codes', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await fundedAccount(app, info, '10');
  const card = await buyTelegram(app);
  await card.getByRole('button', { name: 'Cancel and refund' }).click();
  if (app.hydrated) {
    await expect(card.getByTestId('status')).toHaveText('cancelled');
  } else {
    await expect(page.getByTestId('no-open')).toBeVisible();
  }
  await expect(page.getByTestId('notice')).toContainText('Cancelled +44');
  await expect(app.headerBalance()).toHaveText('10.00 USD');
  await expect(page.getByTestId('verification-row').first()).toContainText('cancelled');

  const second = await buyTelegram(app);
  const phone = (await second.getByTestId('phone').textContent())!.trim();
  await deliver(request, phone, 'Code 55661 for mango');
  await expect(async () => {
    if (!app.hydrated) await page.reload();
    await expect(second.getByTestId('code')).toHaveText('55661', { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await page.getByLabel('Search number, code or message').fill('mango');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('verification-row')).toHaveCount(1);
  await expect(page.getByTestId('verification-row')).toContainText('55661');
  expect(app.errors).toEqual([]);
});
