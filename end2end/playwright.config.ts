import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';

// One fresh SQLite database per run; the server is the binary `cargo leptos build` produced.
const root = path.resolve(__dirname, '..');
// The config is evaluated again in each worker; workers inherit the runner's environment, so
// the first evaluation picks the database and the rest reuse it.
export const DATABASE_URL =
  process.env.E2E_DATABASE_URL ??
  `sqlite://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'namaskah-e2e-')), 'e2e.db')}`;
const port = Number(process.env.E2E_PORT ?? 3100);
export const BASE_URL = `http://127.0.0.1:${port}`;
process.env.E2E_DATABASE_URL = DATABASE_URL;
// Mail goes through a real SMTP server on loopback (PyPI aiosmtpd, installed by
// scripts/setup), which keeps each message as a file in a maildir the tests read.
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? port + 25);
export const MAILDIR =
  process.env.E2E_MAILDIR ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'namaskah-mail-')), 'maildir');
process.env.E2E_MAILDIR = MAILDIR;
process.env.E2E_BIN = path.join(root, 'target', process.env.E2E_PROFILE ?? 'debug', 'namaskah');

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'no-js', use: { javaScriptEnabled: false } },
  ],
  webServer: [{
    command: `python3 -u -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox '${MAILDIR}'`,
    port: smtpPort,
    reuseExistingServer: false,
    timeout: 30_000,
  }, {
    command: process.env.E2E_BIN,
    cwd: root,
    url: `${BASE_URL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'),
      RUST_LOG: 'warn',
      // The tests drive the 5SIM emulator's control API: it alone sells.
      SANDBOX_PROVIDERS: '5sim',
      // Only the SMS the tests send: none of sandbox mode's own on a timer.
      SANDBOX_AUTO_SMS: '0',
      // Every test signs in from 127.0.0.1; the limits themselves are tested in Rust.
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_SIGN_IN: '0',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Namaskah <no-reply@namaskah.test>',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  }],
});
