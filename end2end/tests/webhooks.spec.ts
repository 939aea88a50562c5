import { expect, test } from '@playwright/test';
import { createHmac } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { App, fundedAccount } from './fixtures/app';

/** A customer's receiver on loopback (sandbox mode allows it): keeps what it is sent. */
async function receiver() {
  const got: { signature: string; event: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      got.push({
        signature: String(req.headers['namaskah-signature'] ?? ''),
        event: String(req.headers['namaskah-event'] ?? ''),
        body,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, close: () => server.close() };
}

/** Checks a signature as a receiver in Node would (its own HMAC, not the app's). */
function verifies(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return expected === parts.v1 && Math.abs(Date.now() / 1000 - Number(parts.t)) <= 300;
}

test('add a webhook, see its secret once, send a test event, see it delivered and redeliver it', async ({ page, request }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  // The sandbox's clock may be ahead of the world's (other tests move it): deliveries are
  // signed by the wall clock all the same, which is what a receiver checks against.
  expect((await request.post('/sandbox/control/clock', { data: { advance_seconds: 3600 } })).status()).toBe(200);
  await fundedAccount(app, info, '5');
  const hook = await receiver();
  try {
    await app.goto('/webhooks');
    await expect(page.getByText('No endpoints yet.')).toBeVisible();
    await page.getByLabel('URL').fill(hook.url);
    await page.getByLabel('sms.received').check();
    await page.getByLabel('rental.updated').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const shown = page.getByTestId('new-secret-value');
    await expect(shown).toHaveText(/^whsec_[0-9a-f]{48}$/);
    const secret = (await shown.textContent())!.trim();
    await expect(page.getByTestId('webhooks')).toContainText(hook.url);
    await expect(page.getByTestId('webhook-state')).toHaveText('On');

    await page.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => hook.got.length, { timeout: 10_000 }).toBe(1);
    expect(hook.got[0].event).toBe('webhook.test');
    expect(verifies(secret, hook.got[0].signature, hook.got[0].body)).toBe(true);
    expect(verifies('whsec_wrong', hook.got[0].signature, hook.got[0].body)).toBe(false);

    // Its deliveries: this one, delivered, with the endpoint's answer; redelivered on asking.
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await expect(page.getByRole('heading', { name: 'Deliveries' })).toBeVisible();
    const deliveries = page.url();
    const row = page.getByTestId('delivery').first();
    await expect(row).toContainText('webhook.test');
    // Recorded once the receiver has answered: a moment after it got the request.
    await expect(async () => {
      await app.goto(deliveries);
      await expect(row.getByTestId('delivery-state')).toHaveText('delivered', { timeout: 500 });
    }).toPass({ timeout: 10_000 });
    await expect(row).toContainText('204');
    await row.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => hook.got.length, { timeout: 10_000 }).toBe(2);
    expect(hook.got[1].body).toBe(hook.got[0].body);
    expect(verifies(secret, hook.got[1].signature, hook.got[1].body)).toBe(true);

    // The secret is never shown again; the endpoint can be turned off.
    await app.goto('/webhooks');
    await expect(page.getByTestId('new-secret-value')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Turn off' }).click();
    await expect(page.getByTestId('webhook-state')).toHaveText('Off');
    expect(app.errors).toEqual([]);
  } finally {
    hook.close();
  }
});

test('a webhook URL that is not one is refused, naming the field', async ({ page }, info) => {
  const app = new App(page, info.project.name === 'hydrated');
  await fundedAccount(app, info, '5');
  await app.goto('/webhooks');
  await page.getByLabel('URL').fill('ftp://example.com/hook');
  await page.getByLabel('sms.received').check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.locator('#url-error')).toContainText('https');
  await expect(page.getByText('No endpoints yet.')).toBeVisible();
});
