/**
 * Signing in with OpenID Connect in a real Chromium: the real hub (`cityhub start`) and a real provider
 * (`oidc-provider`); the sign-in dialog's "Sign in with …" link goes to the provider and back to the view
 * that was open, signed in with the role the provider's groups give; signing out signs out at the provider too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, waitFor, type TestHub } from '../../test/harness.js';
import { CLIENT_ID, CLIENT_SECRET, freePort, startProvider, type TestProvider } from '../../test/oidc-provider.js';
import { openBrowser, type Browser } from './browser.js';
import { ensureBuilt } from './build.js';

describe('signing in with OpenID Connect in Chromium', () => {
  let hub: TestHub;
  let provider: TestProvider;
  let browser: Browser;

  beforeAll(async () => {
    await ensureBuilt();
    const port = await freePort();
    const env = {
      CITYHUB_OIDC_ISSUER: `http://127.0.0.1:${port}`, CITYHUB_OIDC_CLIENT_ID: CLIENT_ID, CITYHUB_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      CITYHUB_OIDC_SCOPES: 'openid profile groups', CITYHUB_OIDC_OPERATOR_VALUES: 'cityhub-operators', CITYHUB_OIDC_NAME: 'Thessaloniki ID',
    };
    [hub, browser] = await Promise.all([startHub({ simulate: 0, env }), openBrowser()]);
    provider = await startProvider(port, [`${hub.httpUrl}/api/v1/session/oidc/callback`]);
    await waitFor(async () => ((await fetch(`${hub.httpUrl}/api/v1/session/oidc/login`, { redirect: 'manual' })).status === 303 ? true : undefined), 10_000, 'the provider discovered');
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await provider?.close();
  });

  it('the dialog offers the provider; its link signs an operator in and comes back to the open view', async () => {
    const { page } = browser;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hub.httpUrl}/?view=alerts&period=24h`);
    await page.click('#signin-open');
    const link = page.locator('#signin-oidc');
    await link.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await link.textContent()).toBe('Sign in with Thessaloniki ID');
    provider.next.person = 'op-1';
    await link.click();
    await page.waitForFunction(() => document.getElementById('signed-in-name')?.textContent === 'Olga Operator (operator)', undefined, { timeout: 30_000 });
    const url = new URL(page.url());
    expect(url.origin).toBe(hub.httpUrl);
    expect(url.searchParams.get('view')).toBe('alerts');

    // Sign-out ends the hub's session, then signs out at the provider (its confirmation page), which comes back to the dashboard.
    await page.click('#signout');
    await page.waitForURL((u) => u.origin === provider.issuer, { timeout: 10_000 });
    await page.click('button[name="logout"][value="yes"]');
    await page.waitForURL((u) => u.origin === hub.httpUrl, { timeout: 10_000 });
    await page.locator('#signin-open').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status))).toBe(204);
    expect(errors).toEqual([]);
  }, 120_000);
});
