import { expect, test } from '@playwright/test';
import { App, namaskah, PASSWORD, uniqueEmail } from './fixtures/app';

/** A small made-up history (once per server: the command refuses a database seeded already). */
function seedDemo() {
  try {
    namaskah('seed-demo', '--rentals', '400', '--messages', '1600', '--verifications', '200', '--customers', '25', '--days', '40');
  } catch (e) {
    if (!String((e as { stderr?: string }).stderr ?? e).includes('already has the demo')) throw e;
  }
}

test('an operator reads the money report as charts with axes, series and their figures, and downloads it', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  seedDemo();
  const operator = uniqueEmail(info);
  namaskah('user', 'create', '--email', operator, '--password', PASSWORD, '--admin');
  await app.signIn(operator);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page.getByRole('heading', { name: 'Usage' })).toBeVisible();
  await expect(page.getByTestId('usage-started').locator('svg[role="img"]')).toBeVisible();

  const from = new Date(Date.now() - 45 * 86_400_000).toISOString().slice(0, 10);
  await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Money' }).click();
  await expect(page.getByRole('heading', { name: 'Money' })).toBeVisible();
  await page.getByLabel('From').fill(from);
  await page.getByLabel('By', { exact: true }).selectOption('week');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(new RegExp(`from=${from}.*granularity=week`));
  await expect(page.getByTestId('range')).toContainText('by week');

  const chart = page.getByTestId('money-series');
  const svg = chart.locator('svg[role="img"]');
  await expect(svg).toBeVisible();
  // Accessible: named by its title and description.
  await expect(svg).toHaveAccessibleName(/Revenue, cost and margin \(USD\)/);
  // The axes: figures up the side and dates along the bottom; the four series, with a dot
  // (and its figure on hover) per week.
  expect(await chart.locator('.chart-tick').count()).toBeGreaterThan(4);
  await expect(chart.locator('.chart-series polyline')).toHaveCount(4);
  expect(await chart.locator('.chart-dot title').count()).toBeGreaterThanOrEqual(4 * 6);
  await expect(chart.locator('.chart-legend li')).toHaveText(['Revenue', 'Net revenue', 'Provider cost', 'Margin']);
  // The figures behind it, as a table.
  await chart.locator('summary').click();
  expect(await chart.locator('.chart-data tbody tr').count()).toBeGreaterThanOrEqual(6);
  await expect(page.getByTestId('revenue')).toContainText('USD');
  await page.screenshot({ path: info.outputPath('money-report.png'), fullPage: true });

  // Every table downloads as CSV.
  const href = await chart.locator('a.chart-csv').getAttribute('href');
  expect(href).toContain('/api/admin/analytics/money.csv?');
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect((await csv.text()).split('\r\n')[0]).toContain('revenue');

  for (const [tab, testid] of [['Customers', 'customers-series'], ['Providers', 'providers-sms-rate'], ['Forecasts', 'provider-runway'], ['Savings', 'range']]) {
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: tab }).click();
    await expect(page.getByTestId(testid)).toBeVisible();
  }
  expect(app.errors).toEqual([]);
  void request;
});

test('nobody but staff sees a report: not a visitor, not a customer', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  seedDemo();
  await app.goto('/admin/analytics/money');
  await expect(page.getByRole('heading', { name: 'Money' })).toBeVisible();
  await expect(page.getByTestId('revenue')).toHaveCount(0);
  await expect(page.locator('svg[role="img"]')).toHaveCount(0);

  const customer = uniqueEmail(info);
  namaskah('user', 'create', '--email', customer, '--password', PASSWORD);
  await app.signIn(customer);
  await expect(page).toHaveURL(/\/$/);
  await app.ready();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' })).toHaveCount(0);
  await app.goto('/admin/analytics/money');
  await expect(page.getByText('only admins may do this')).toBeVisible();
  await expect(page.getByTestId('revenue')).toHaveCount(0);
  await expect(page.locator('svg[role="img"]')).toHaveCount(0);
});
