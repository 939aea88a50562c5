import { expect, test } from '@playwright/test';
import { App, fundedAccount } from './fixtures/app';

test('services and countries by their names and flags, filtered as you type, favourites and recent first', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the filtering box needs JavaScript (the select is tested without it)');
  const app = new App(page, true);
  await fundedAccount(app, info, '10');
  await app.goto('/verifications');
  await page.evaluate(() => ((window as any).__marker = 'same document'));

  // Without coming to the form, its code is not even loaded: the select is still there.
  await expect(page.locator('select[name="verification[service]"]')).toBeVisible();
  const service = await app.pickerBox('Service');
  const list = page.getByRole('listbox', { name: 'Service' });
  // The first service that can be bought is chosen, as the select would have it.
  await expect(service).toHaveValue(/\S/);
  await expect(list).toBeHidden();

  // Typing filters, by any part of the name, in any case; the count is announced.
  await service.fill('whats');
  await expect(service).toHaveAttribute('aria-expanded', 'true');
  await expect(list.getByRole('option')).toHaveCount(1);
  const whatsapp = list.getByRole('option', { name: /WhatsApp/ });
  await expect(whatsapp).toContainText(/\d+\.\d+ USD · \d+ left/);
  await expect(page.getByRole('status').filter({ hasText: '1 choice' })).toHaveCount(1);
  await service.fill('zzz');
  await expect(list.getByRole('option')).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'No matches' })).toHaveCount(1);

  // The keyboard: the highlighted option is the active descendant; Enter takes it, not the form.
  await service.fill('tele');
  await expect(service).toHaveAttribute('aria-activedescendant', /vservice-opt-0/);
  await service.press('Enter');
  await expect(service).toHaveValue('Telegram');
  await expect(service).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('select[name="verification[service]"]')).toHaveValue('telegram');
  await expect(page.locator('article.verification')).toHaveCount(0);

  // Escape closes and puts the choice back; clicking opens the whole list.
  await service.fill('goo');
  await service.press('Escape');
  await expect(service).toHaveValue('Telegram');
  await service.click();
  expect(await list.getByRole('option').count()).toBeGreaterThan(10);
  await expect(list.getByRole('option', { name: /Telegram/ })).toHaveAttribute('aria-selected', 'true');
  await service.press('ArrowDown');
  await service.press('Escape');

  // A favourite: the star says so, and the service is listed first from then on.
  await app.choose('Service', 'WhatsApp', 'whatsapp');
  const star = page.getByRole('button', { name: 'Service favourite' });
  await expect(star).toHaveAttribute('aria-pressed', 'false');
  await star.click();
  await expect(star).toHaveAttribute('aria-pressed', 'true');
  await service.click();
  await expect(list.getByRole('option').first()).toContainText('WhatsApp');
  await expect(list.getByText('Favourites', { exact: true })).toBeVisible();
  await service.press('Escape');

  // Buying it makes it recently used; the country too.
  await page.getByRole('button', { name: 'Get number' }).click();
  await expect(page.locator('article.verification')).toHaveCount(1);
  await expect(page.locator('article.verification').first()).toContainText('WhatsApp · 🇬🇧 GB');

  // Countries by flag and name; choosing one shows its prices, without a reload.
  const country = await app.pickerBox('Country');
  await expect(country).toHaveValue('🇬🇧 United Kingdom');
  await country.fill('germ');
  await expect(page.getByRole('listbox', { name: 'Country' }).getByRole('option')).toHaveText([/🇩🇪 Germany\s*\+49/]);
  await country.press('Enter');
  await expect(page).toHaveURL(/\/verifications\?country=DE$/);
  await app.ready();
  await expect(await app.pickerBox('Country')).toHaveValue('🇩🇪 Germany');
  expect(await page.evaluate(() => (window as any).__marker)).toBe('same document');

  // Back on the UK page after a reload: the favourite first, then what was bought lately.
  await app.goto('/verifications');
  await (await app.pickerBox('Service')).click();
  const groups = page.getByRole('listbox', { name: 'Service' }).locator('.picker-group');
  await expect(groups).toHaveText(['Favourites', 'All']);
  await app.goto('/rentals');
  await (await app.pickerBox('For')).click();
  const rentGroups = page.getByRole('listbox', { name: 'For' }).locator('.picker-group');
  await expect(rentGroups).toHaveText(['Favourites', 'All']);
  await (await app.pickerBox('Country')).click();
  const countries = page.getByRole('listbox', { name: 'Country' });
  await expect(countries.locator('.picker-group')).toHaveText(['Recently used', 'All']);
  await expect(countries.getByRole('option').first()).toContainText('United Kingdom');
  expect(app.errors).toEqual([]);
});

test('without JavaScript the pickers are plain selects with names, flags, prices and favourites first', async ({ page }, info) => {
  test.skip(info.project.name !== 'no-js', 'the select as it is without JavaScript');
  const app = new App(page, false);
  await fundedAccount(app, info, '10');
  await app.goto('/verifications');
  const service = page.getByLabel('Service', { exact: true });
  await expect(service.locator('option', { hasText: /^WhatsApp · \d+\.\d+ USD · \d+ left$/ })).toHaveCount(1);
  const country = page.getByLabel('Country', { exact: true });
  await expect(country.locator('option:checked')).toHaveText('🇬🇧 United Kingdom · +44');
  await country.selectOption('DE');
  await page.getByRole('button', { name: 'Show prices' }).click();
  await expect(page).toHaveURL(/country=DE/);
  await expect(page.getByLabel('Country', { exact: true }).locator('option:checked')).toHaveText('🇩🇪 Germany · +49');
  await app.choose('Service', 'Telegram', 'telegram');
  await page.getByRole('button', { name: 'Get number' }).click();
  await expect(page.locator('article.verification')).toHaveCount(1);
  // What was bought is listed first next time.
  await app.goto('/verifications');
  await expect(page.getByLabel('Service', { exact: true }).locator('optgroup').first()).toHaveAttribute('label', 'Recently used');
  await expect(page.getByLabel('Service', { exact: true }).locator('optgroup').first().locator('option')).toHaveText([/^Telegram/]);
});
