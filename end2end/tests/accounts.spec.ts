import { expect, test } from '@playwright/test';
import { App, mailedLink, namaskah, uniqueEmail } from './fixtures/app';

test('register, sign in, see the balance, create an API key and see it once', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);

  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(app.headerBalance()).toHaveText('0.00 USD');
  await expect(page.getByText('Sandbox mode.')).toBeVisible();

  await app.ready();
  await app.signOut();
  await expect(app.headerBalance()).toHaveCount(0);

  // An operator credits the account; the customer signs in and sees it.
  namaskah('credit', '--email', email, '--amount', '10', '--note', 'welcome credit');
  await app.signIn(email);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('balance')).toHaveText('10.00 USD');
  await expect(app.headerBalance()).toHaveText('10.00 USD');
  await expect(page.getByTestId('transactions')).toContainText('welcome credit');

  // Create a key: shown once, in full.
  await app.goto('/keys');
  await page.getByLabel('Name').fill('e2e script');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-key-value');
  await expect(shown).toHaveText(/^nmk_[0-9a-f]{48}$/);
  const key = (await shown.textContent())!.trim();
  await expect(page.getByTestId('keys')).toContainText('e2e script');

  // The key works against the API.
  const me = await request.get('/api/auth/me', { headers: { Authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(email);

  // Never shown again: after a reload only its prefix is listed.
  await app.goto('/keys');
  await expect(page.getByTestId('new-key-value')).toHaveCount(0);
  await expect(page.getByTestId('keys')).toContainText(`${key.slice(0, 12)}…`);
  expect(await page.content()).not.toContain(key);
  expect(app.errors).toEqual([]);
});

test('an email that is already registered is explained', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  await app.signOut();
  // Sign-up itself answers the same for a known address; signing in with another password
  // then fails, and the form says why.
  await app.register(email, 'a different long passphrase');
  await expect(page.locator('#email-error')).toContainText('already has an account');
  await expect(app.headerBalance()).toHaveCount(0);
});

test('a wrong password is explained', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  await app.signOut();
  await app.signIn(email, 'not the password');
  await expect(page.getByRole('alert')).toContainText('wrong email or password');
  expect(app.errors).toEqual([]);
});

test('forgotten password: a link by mail (through the SMTP server) sets a new one, once', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await app.signOut();

  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await app.ready();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('notice')).toContainText('a link to choose a new password is on its way');

  const link = await mailedLink(email, 'Choose a new Namaskah password', /\/reset-password\?token=[0-9a-f]+/);
  await app.goto(link);
  await page.getByLabel('New password').fill('a brand new secret 77');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('notice')).toContainText('Your password is changed');
  await app.signIn(email, 'a brand new secret 77');
  await expect(page).toHaveURL(/\/$/);
  await app.ready();

  // The link works once.
  await app.signOut();
  await app.goto(link);
  await page.getByLabel('New password').fill('yet another secret 99');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByText('is not a live link')).toBeVisible();
  expect(app.errors).toEqual([]);
});

test('a new account confirms its address with the mailed link', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  const email = uniqueEmail(info);
  await app.register(email);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await app.goto('/account');
  await expect(page.getByTestId('email-unconfirmed')).toHaveText('not confirmed');

  const link = await mailedLink(email, 'Confirm your Namaskah address', /\/verify-email\?token=[0-9a-f]+/);
  await app.goto(link);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('notice')).toContainText('Your address is confirmed.');
  await expect(page.getByTestId('email-confirmed')).toHaveText('confirmed');

  // The link works once.
  await app.goto(link);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByText('is not a live link')).toBeVisible();
  expect(app.errors).toEqual([]);
});
