import { expect, test } from '@playwright/test';
import { App, uniqueEmail } from './fixtures/app';

test('a customer tops up by card at the payment page, a declined card first, and sees it arrive', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await app.register(uniqueEmail(info));
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await page.getByTestId('add-money').click();
  await expect(page).toHaveURL(/\/billing$/);
  await app.ready();
  await expect(page.getByTestId('topup-sandbox')).toBeVisible();
  const amount = page.getByTestId('topup-amount');
  const payByCard = page.getByRole('button', { name: 'Pay by card' });

  // Below the smallest top-up: refused at the field, nothing started.
  await amount.fill('2');
  await payByCard.click();
  await expect(page.getByText('amount must be from 5.00 USD to 1000.00 USD')).toBeVisible();
  await expect(page.getByTestId('topups')).toHaveCount(0);

  await page.getByTestId('topup-amount').fill('25');
  await page.getByRole('button', { name: 'Pay by card' }).click();
  // The payment provider's page (the sandbox's Stripe emulator).
  await expect(page.getByTestId('checkout-amount')).toHaveText('25.00 USD');
  await page.getByRole('button', { name: 'Pay with a card that is declined' }).click();
  await expect(page.getByRole('alert')).toContainText('Your card was declined');
  await page.getByRole('button', { name: 'Pay 25.00 USD' }).click();

  // Back on the wallet: paid, credited once, and listed.
  await expect(page).toHaveURL(/\/billing\?topup=\d+$/);
  await app.ready();
  await expect(page.getByTestId('topup-returned')).toContainText('Payment received: 25.00 USD was added to your balance.');
  await expect(app.headerBalance()).toHaveText('25.00 USD');
  await expect(page.getByTestId('balance')).toHaveText('25.00 USD');
  await expect(page.getByTestId('topups').locator('tr[data-status="paid"]')).toHaveCount(1);
  await expect(page.getByTestId('transactions')).toContainText('Card top-up');

  // Its receipt, and this month's statement, ready to print.
  await page.getByTestId('topups').getByRole('link', { name: 'Receipt' }).click();
  await expect(page).toHaveURL(/\/billing\/topups\/\d+\/receipt$/);
  await app.ready();
  await expect(page.getByTestId('receipt-amount')).toHaveText('25.00 USD');
  await expect(page.getByTestId('receipt')).toContainText('Received from');
  await page.getByRole('link', { name: '← Wallet' }).click();
  await expect(page).toHaveURL(/\/billing$/);
  await app.ready();
  await page.getByTestId('statements').getByRole('link').first().click();
  await expect(page).toHaveURL(/\/billing\/statements\/\d{4}-\d{2}$/);
  await app.ready();
  await expect(page.getByTestId('opening')).toHaveText('0.00 USD');
  await expect(page.getByTestId('closing')).toHaveText('25.00 USD');
  expect(app.errors).toEqual([]);
});

test('a customer who leaves the payment page is told nothing was charged, and can go back to it', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await app.register(uniqueEmail(info));
  await expect(page).toHaveURL(/\/$/);
  await app.goto('/billing');
  await page.getByTestId('topup-amount').fill('10');
  await page.getByRole('button', { name: 'Pay by card' }).click();
  await expect(page.getByTestId('checkout-amount')).toHaveText('10.00 USD');
  await page.getByRole('link', { name: 'Back without paying' }).click();
  await expect(page).toHaveURL(/\/billing\?topup=\d+&cancelled=1$/);
  await app.ready();
  await expect(page.getByTestId('topup-returned')).toContainText('nothing was charged');
  await expect(app.headerBalance()).toHaveText('0.00 USD');
  // Still payable: back to the same page, and paid there with 3-D Secure.
  await page.getByRole('link', { name: 'Return to the payment page' }).click();
  await expect(page.getByTestId('checkout-amount')).toHaveText('10.00 USD');
  await page.getByRole('button', { name: 'Pay with a card that asks for 3-D Secure' }).click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await expect(page).toHaveURL(/\/billing\?topup=\d+$/);
  await app.ready();
  await expect(page.getByTestId('topup-returned')).toContainText('Payment received: 10.00 USD');
  await expect(app.headerBalance()).toHaveText('10.00 USD');
  expect(app.errors).toEqual([]);
});
