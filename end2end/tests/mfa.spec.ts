import { expect, test } from '@playwright/test';
import { App, totpCode, uniqueEmail } from './fixtures/app';

test('two-factor sign-in: set up from the QR page, then sign in with a code and with a recovery code, once', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);

  await app.goto('/account');
  await page.getByRole('link', { name: 'Manage' }).click();
  await expect(page).toHaveURL(/\/account\/mfa$/);
  await app.ready();
  await expect(page.getByTestId('mfa-off')).toBeVisible();
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg')).toBeVisible();
  const secret = (await page.getByTestId('mfa-secret').innerText()).trim();

  // A wrong code is refused at the field; the right one turns it on.
  await page.getByLabel('Code', { exact: true }).fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('is not the code the app shows now')).toBeVisible();
  await app.ready();
  await page.getByLabel('Code', { exact: true }).fill(await totpCode(request, secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const shown = page.getByTestId('recovery-codes').locator('li');
  await expect(shown).toHaveCount(10);
  const recovery = (await shown.nth(2).innerText()).trim();
  await expect(page.getByTestId('mfa-on')).toContainText('10 of 10 recovery codes left');
  // Shown once.
  await app.goto('/account/mfa');
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);

  // Sign in: the password, then the code (the next step's: the set-up spent this one).
  await app.signOut();
  await app.signIn(email);
  await expect(page).toHaveURL(/\/login\/code$/);
  await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
  await page.getByLabel('Code', { exact: true }).fill(await totpCode(request, secret, 30));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await app.ready();

  // A recovery code signs in once.
  await app.signOut();
  await app.signIn(email);
  await page.getByLabel('Code', { exact: true }).fill(recovery);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await app.signOut();
  await app.signIn(email);
  await page.getByLabel('Code', { exact: true }).fill(recovery);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('nor an unused recovery code')).toBeVisible();

  // The account page lists what happened. (The code of the step after this one was spent
  // above: the app's clock moves on to it.)
  await request.post('/sandbox/control/clock', { data: { advance_seconds: 30 } });
  await page.getByLabel('Code', { exact: true }).fill(await totpCode(request, secret, 30));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await app.goto('/account');
  const events = page.getByTestId('security-events');
  await expect(events.locator('tr[data-action="mfa.enable"]')).toHaveCount(1);
  await expect(events.locator('tr[data-action="auth.second_factor_failed"]')).toHaveCount(1);
  expect(app.errors).toEqual([]);
});
