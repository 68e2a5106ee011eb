import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { type Running, releaseMnist, removeServiceDirs, startService } from './serve-fixture.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/** The flags this closed network needs (no background connections); playwright-core downloads nothing. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// .ci/run installs Debian's chromium; without it (a bare developer machine) this check cannot run.
describe.skipIf(!CHROMIUM)('the page at / in headless Chromium (Debian chromium)', () => {
  let s: Running;
  let browser: Browser;

  beforeAll(async () => {
    s = await startService();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await releaseMnist();
    removeServiceDirs();
  });

  it('a drawn digit is classified behind the defense and the attempts left are shown', async () => {
    const token = s.token('page-client', 5);
    const page = await browser.newPage();
    await page.goto(`${s.url}/`);
    await expect.poll(() => page.textContent('#about')).toMatch(/behind uniform:0\.5 \+ median:2x2/);
    await page.fill('#token', token);
    await page.dispatchEvent('#token', 'change');
    await expect.poll(() => page.textContent('#attempts')).toBe('5');
    // A thick vertical stroke down the middle of the pad: a "1".
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.click('#classify');
    await expect.poll(() => page.textContent('#label')).toMatch(/^[0-9]$/);
    expect(await page.textContent('#attempts')).toBe('4');
    expect(await page.textContent('#error')).toBe('');
    expect(s.store.check(token)!.used).toBe(1);
  });

  it('an uploaded image is scaled to the model\'s size and classified', async () => {
    const token = s.token('page-upload', 3);
    const page = await browser.newPage();
    await page.goto(`${s.url}/`);
    await expect.poll(() => page.textContent('#about')).toMatch(/behind/);
    // A 56x56 PNG of a white bar on black, drawn by the browser itself (no image library here).
    // Browser code as text: this file is type-checked without the DOM library.
    const dataUrl = await page.evaluate<string>(`(() => {
      const c = document.createElement('canvas');
      c.width = c.height = 56;
      const g = c.getContext('2d');
      g.fillStyle = '#000';
      g.fillRect(0, 0, 56, 56);
      g.fillStyle = '#fff';
      g.fillRect(24, 8, 8, 40);
      return c.toDataURL('image/png');
    })()`);
    await page.setInputFiles('#upload', { name: 'bar.png', mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1]!, 'base64') });
    // The pad shows the upload: its centre is white now.
    await expect.poll(() => page.evaluate<number>(`document.getElementById('pad').getContext('2d').getImageData(140, 140, 1, 1).data[0]`)).toBe(255);
    await page.fill('#token', token);
    await page.click('#classify');
    await expect.poll(() => page.textContent('#label')).toMatch(/^[0-9]$/);
    expect(await page.textContent('#attempts')).toBe('2');
  });

  it('a spent budget shows the server\'s message', async () => {
    const token = s.token('page-spent', 1);
    const page = await browser.newPage();
    await page.goto(`${s.url}/`);
    await expect.poll(() => page.textContent('#about')).toMatch(/behind/);
    await page.fill('#token', token);
    await page.click('#classify');
    await expect.poll(() => page.textContent('#attempts')).toBe('0');
    await page.click('#classify');
    await expect.poll(() => page.textContent('#error')).toMatch(/attempt budget spent: 0 of 1 attempts left/);
  });
});
