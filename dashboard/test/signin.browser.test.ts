/**
 * Signing in and acknowledging in a real Chromium on the real hub (`cityhub start`; people made with the
 * real `cityhub users`): an operator signs in from the header, acknowledges an alert that has already cleared
 * with a comment, and the list shows who and why; a viewer sees no Acknowledge button.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHub, waitFor, type TestHub } from '../../test/harness.js';
import { clearedAlert, users } from '../../test/people.js';
import type {} from '../src/page/test-hook.js';
import type { AlertsData } from '../src/views/alerts.js';
import { openBrowser, type Browser } from './browser.js';
import { DASHBOARD, ensureBuilt } from './build.js';

const SHOTS = join(DASHBOARD, '..', 'test-results', 'dashboard');
const BUILDING = 'building-rotunda';
const COMMENT = 'Tenant event, meter checked on site';

/** Signs in through the header's dialog; resolves once the header names the person. */
async function signInAs(page: Page, user: string, password: string): Promise<void> {
  await page.click('#signin-open');
  await page.fill('#signin-user', user);
  await page.fill('#signin-password', password);
  await page.click('#signin-form button[type="submit"]');
  await page.waitForFunction((u) => document.getElementById('signed-in-name')?.textContent?.startsWith(u) === true, user, { timeout: 10_000 });
}

describe('signing in and acknowledging in Chromium on the real hub', () => {
  let hub: TestHub;
  let browser: Browser;
  let alert: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureBuilt();
    [hub, browser] = await Promise.all([startHub({ simulate: 0 }), openBrowser()]);
    await users(hub, ['add', 'ana', '--role', 'operator'], 'correct horse battery staple');
    await users(hub, ['add', 'vic', '--role', 'viewer'], 'a viewer reads only');
    alert = await clearedAlert(hub, BUILDING);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('an operator signs in and acknowledges a cleared alert with a comment; a viewer sees no button', async () => {
    const { page } = browser;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hub.httpUrl}/?view=alerts&period=24h`);
    await page.waitForFunction(() => (window.__cityhub?.view().data as AlertsData | null)?.state === 'ready', undefined, { timeout: 30_000 });
    const row = page.locator(`#drawer tr[data-id="${alert}"]`);
    await row.waitFor();
    expect(await row.locator('.alert-state').textContent()).toMatch(/^Cleared /);
    // Not signed in: no Acknowledge button. The header fits the window, signed in or not.
    expect(await page.locator('#drawer .ack-button').count()).toBe(0);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && document.querySelector('header')!.getBoundingClientRect().height < 60);
    expect(await fits()).toBe(true);

    await signInAs(page, 'ana', 'correct horse battery staple');
    expect(await page.locator('#signed-in-name').textContent()).toBe('ana (operator)');
    expect(await fits()).toBe(true);
    await row.locator('.ack-button').click();
    await page.fill('#ack-comment', COMMENT);
    await page.screenshot({ path: join(SHOTS, 'alert-acknowledge.png') });
    await page.click('#ack-form button[type="submit"]');
    await waitFor(async () => ((await row.locator('.alert-ack').textContent()) === `Acknowledged by ana: ${COMMENT}` ? true : undefined), 10_000, 'the acknowledgement in the row');
    expect(await row.locator('.alert-state').textContent()).toMatch(/^Cleared /);
    expect(await row.locator('.ack-button').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'alert-acknowledged.png') });
    // The API says the same, from the store.
    const listed = (await hub.get<{ items: Array<Record<string, unknown>> }>('/api/v1/alerts?state=cleared')).body.items.find((a) => a.id === alert);
    expect(listed).toMatchObject({ acknowledged_by: 'ana', acknowledged_comment: COMMENT });
    // After a reload the page is still signed in (the cookie), and the list still shows it.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('signed-in-name')?.textContent === 'ana (operator)', undefined, { timeout: 10_000 });
    await page.locator(`#drawer tr[data-id="${alert}"] .alert-ack`).waitFor();

    await page.click('#signout');
    await page.waitForFunction(() => !document.getElementById('signin-open')?.hidden);
    await signInAs(page, 'vic', 'a viewer reads only');
    expect(await page.locator('#signed-in-name').textContent()).toBe('vic (viewer)');
    expect(await page.locator('#drawer .ack-button').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);
});
