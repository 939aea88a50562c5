import { expect, test } from '@playwright/test';
import { App, fundedAccount } from './fixtures/app';

test('the API reference is rendered from the OpenAPI document, with nothing from the network', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  // Everything the page needs comes from this server: any other address is cut off, and noted.
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    elsewhere.push(url.href);
    return route.abort();
  });
  const doc = await (await request.get('/api/openapi.json')).json();
  const operations = Object.values(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap((item) => Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete', 'head'].includes(m)));

  await app.goto('/docs/api');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(doc.info.title);
  await expect(page.getByTestId('api-operation')).toHaveCount(operations.length);
  // Each operation: its method and path, its answers, and a curl line with the key and body.
  const create = page.locator('#create_rental');
  await expect(create.locator('h3')).toContainText('POST');
  await expect(create.locator('h3')).toContainText('/api/rentals/create');
  const curl = await create.getByTestId('curl').textContent();
  expect(curl).toContain("/api/rentals/create'");
  expect(curl).toContain('Authorization: Bearer $NAMASKAH_API_KEY');
  expect(curl).toContain('Idempotency-Key');
  expect(curl).toContain('"country"');
  await expect(create).toContainText('402');
  await expect(page.locator('#get_balance')).toContainText('BalanceView');
  // Linked from every page's footer; the document itself is one click away.
  await expect(page.locator('footer a[href="/docs/api"]')).toBeVisible();
  await expect(page.locator('a[href="/api/openapi.json"]')).toBeVisible();
  expect(elsewhere).toEqual([]);
  expect(app.errors).toEqual([]);
});

test('in sandbox mode an operation can be tried from the reference, with the session', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await fundedAccount(app, info, '7');
  await app.goto('/docs/api');
  await expect(page.getByTestId('try-it-note')).toBeVisible();
  const balance = page.locator('#get_balance');
  if (!app.hydrated) {
    // It needs the client: without JavaScript the form is not offered.
    await expect(balance.locator('.try-it')).toBeHidden();
    return;
  }
  await balance.locator('.try-it summary').click();
  // Enabled once its island has hydrated (it does when the reader comes to it).
  await expect(balance.getByRole('button', { name: 'Send' })).toBeEnabled();
  await balance.getByRole('button', { name: 'Send' }).click();
  await expect(balance.getByTestId('try-it-status')).toHaveText('200');
  await expect(balance.getByTestId('try-it-answer')).toContainText('"balance": "7.0000"');

  // The query string is sent as typed; a refusal is shown as it came.
  const services = page.locator('#list_services');
  await services.locator('.try-it summary').click();
  const send = services.getByRole('button', { name: 'Send' });
  await expect(send).toBeEnabled();
  await services.getByLabel('Query string').fill('country=GB');
  await send.click();
  await expect(services.getByTestId('try-it-status')).toHaveText('200');
  await expect(services.getByTestId('try-it-answer')).toContainText('"country": "GB"');
  await services.getByLabel('Query string').fill('country=Q1');
  await send.click();
  await expect(services.getByTestId('try-it-status')).toHaveText('422');
  await expect(services.getByTestId('try-it-answer')).toContainText('"field": "country"');
  expect(app.errors).toEqual([]);
});
