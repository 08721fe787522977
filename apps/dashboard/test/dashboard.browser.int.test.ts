import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
import { DASHBOARD_CSP } from '@gantry/dashboard';
import { apiClient, findChromium, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { png } from '../../api/test/images';

/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium` package) driven by
 * playwright-core against a whole in-process stack. Screenshots go to test-artifacts/dashboard/.
 */
// The callbacks given to page.evaluate/waitForFunction run in the browser; the Node program has no
// DOM lib, so the few browser globals they use are declared here (module scope only).
declare const document: any;
declare const localStorage: any;
declare const sessionStorage: any;
declare function getComputedStyle(el: unknown): { outlineStyle: string; transitionDuration: string; backgroundColor: string };

const SHOTS = path.resolve(__dirname, '../../../test-artifacts/dashboard');
const WAIT = 60_000;

let stack: TestStack;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];
/** The page's stream sockets, routed through playwright (so the test can drop one). */
const streams: WebSocketRoute[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const row = (id: string) => `tr[data-job-id="${id}"]`;
const activeId = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || '');

function loadFigures() {
  return page.evaluate(() => {
    const perf = (globalThis as any).performance;
    const nav = perf.getEntriesByType('navigation')[0];
    const resources = perf.getEntriesByType('resource').map((r: any) => ({ name: r.name.replace(/^.*\/dashboard/, '/dashboard'), transferBytes: r.transferSize, bodyBytes: r.decodedBodySize, ms: Math.round(r.duration) }));
    return { domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd), loadMs: Math.round(nav.loadEventEnd), pageTransferBytes: nav.transferSize, resources };
  });
}

const LONG_DEVICE = 'NVIDIA GeForce RTX 4090 Laptop GPU (Ada Lovelace, 16 GiB GDDR6, driver 555.42.02)';

/**
 * At `width` px, the fleet table's Device cell shows the whole device name inside the card (it
 * wraps rather than being cut off by the table's scroll box) and carries it as its title.
 */
async function expectDeviceCellFits(width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  const cell = await page.evaluate(() => {
    const td: any = document.querySelector('#fleet tr[data-backend-id="sim0"] td:last-child');
    const scroll: any = td.closest('.scroll');
    const box = td.getBoundingClientRect();
    const frame = scroll.getBoundingClientRect();
    return { text: td.textContent, title: td.title, right: box.right, frameRight: frame.right, overflow: scroll.scrollWidth - scroll.clientWidth };
  });
  expect(cell.text).toBe(`cuda:0 ${LONG_DEVICE} : cudaMallocAsync`);
  expect(cell.overflow).toBe(0);
  expect(cell.right).toBeLessThanOrEqual(cell.frameRight + 0.5);
  expect(cell.title).toBe(cell.text);
}

async function submitFromForm(): Promise<string> {
  const previous = await page.evaluate(() => document.querySelector('#submit-status a')?.getAttribute('data-job-id') ?? null);
  await page.click('#submit-button');
  const link = page.locator('#submit-status a[data-job-id]');
  await page.waitForFunction((prev) => {
    const a = document.querySelector('#submit-status a[data-job-id]');
    return a !== null && a.getAttribute('data-job-id') !== prev;
  }, previous, { timeout: WAIT });
  return (await link.getAttribute('data-job-id'))!;
}

beforeAll(async () => {
  const executablePath = findChromium();
  await mkdir(SHOTS, { recursive: true });
  // Steps slow enough to cancel a running job; previews on so the opt-in thumbnails have frames.
  // A device name as long as real ones get (the sim reports `cuda:0 <name> : cudaMallocAsync`).
  stack = await startStack({ gpus: 1, stepMs: 100, simOptions: { previews: true, name: LONG_DEVICE }, workerEnv: { GANTRY_PREVIEW_INTERVAL_MS: '100' } });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'], headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  await page.routeWebSocket(/\/api\/v1\/stream$/, (ws) => {
    ws.connectToServer();
    streams.push(ws);
  });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The wrong-key and bad-input steps below make an expected 401 and 422 (Chromium logs refused
    // requests); anything else (a CSP violation, a crash) fails the test.
    if (msg.type() === 'error' && !/status of (401|422)\b/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 60_000);

test('sign in, submit a job and watch it finish, cancel another, keyboard basics', async () => {
  const response = await page.goto(`${stack.url}/dashboard`);
  expect(response?.status()).toBe(200);
  // The page's own CSP replaced helmet's (blob: images, no inline anything).
  expect(response?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
  await page.locator('#signin').waitFor({ state: 'visible' });
  expect(await page.isVisible('#console')).toBe(false);
  await shot('01-signin');
  // Load figures for the record (test-artifacts/dashboard/load.json), never asserted on. The
  // first load includes bundling on the first request (running from sources).
  const coldLoad = await loadFigures();

  // Keyboard: the skip link comes first, then the sign-in form in order; the key field has focus.
  expect(await activeId()).toBe('key');
  await page.keyboard.press('Shift+Tab');
  expect(await activeId()).toBe('Skip to main content');
  await page.keyboard.press('Tab');
  expect(await activeId()).toBe('key');
  await page.keyboard.press('Tab');
  expect(await activeId()).toBe('remember');
  await page.keyboard.press('Tab');
  expect(await activeId()).toBe('Sign in');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');

  // A wrong key is refused with a message, and nothing is stored.
  await page.fill('#key', 'not-a-real-key-0123456789');
  await page.keyboard.press('Enter');
  await page.locator('#signin-error', { hasText: 'refused' }).waitFor();
  expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);

  // The right key, entered once (remembered on this device).
  await page.fill('#key', stack.adminKey);
  await page.check('#remember');
  await page.focus('#key');
  await page.keyboard.press('Enter');
  await page.locator('#console').waitFor({ state: 'visible' });
  await page.locator('#conn[data-state="live"]').waitFor();
  await page.locator('#fleet tr[data-backend-id="sim0"] .badge', { hasText: 'healthy' }).waitFor();
  await expectDeviceCellFits(1400);
  await expectDeviceCellFits(1280);
  expect(await page.evaluate(() => localStorage.getItem('gantry.dashboard.key'))).toBe(stack.adminKey);

  await page.locator('#fig-health', { hasText: 'ok' }).waitFor();

  // Bad input: JSON that does not parse is caught in the page; a schema violation gets the API's
  // 422 with its field errors listed; the field is marked invalid and keeps focus.
  const sample = await page.inputValue('#workflow');
  await page.fill('#workflow', '{"3": ');
  await page.click('#submit-button');
  await page.locator('#submit-error', { hasText: 'not valid JSON' }).waitFor();
  expect(await page.getAttribute('#workflow', 'aria-invalid')).toBe('true');
  await page.fill('#workflow', '{"3": {"inputs": {}}}');
  await page.click('#submit-button');
  await page.locator('#submit-error', { hasText: '422 VALIDATION_FAILED' }).waitFor();
  await page.locator('#submit-error li', { hasText: 'class_type' }).waitFor();
  await page.click('#sample-button');
  expect(await page.inputValue('#workflow')).toBe(sample);

  // Submit the prefilled sample; its bar reaches 100 % over the WebSocket.
  const first = await submitFromForm();
  await page.locator(`${row(first)} [role="progressbar"][aria-valuenow="100"]`).waitFor();
  await page.locator(`${row(first)} .badge`, { hasText: 'succeeded' }).waitFor();
  // The output thumbnail (fetched with the key into a blob: URL) is rendered.
  await page.waitForFunction((sel) => {
    const img = document.querySelector(sel);
    return img !== null && img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0;
  }, `${row(first)} img.thumb`);
  await shot('02-first-job-succeeded');
  // prefers-reduced-motion (set on the browser context) turns the bar transition off.
  expect(await page.evaluate((sel) => getComputedStyle(document.querySelector(sel)).transitionDuration, `${row(first)} .bar .fill`)).toBe('0s');

  // Its detail: output image rendered, timeline of events with the final state.
  await page.click(`${row(first)} th a`);
  await page.locator('#detail').waitFor({ state: 'visible' });
  expect(await activeId()).toBe('detail-heading');
  await page.waitForFunction(() => {
    const img = document.querySelector('#detail-outputs img');
    return img !== null && img.complete && img.naturalWidth > 0;
  });
  await page.locator('#detail-timeline li', { hasText: 'succeeded' }).waitFor();
  await page.locator('#detail-timeline li', { hasText: 'output' }).waitFor();
  await shot('03-job-detail');
  // Escape closes the detail and puts focus back on the job's link.
  await page.keyboard.press('Escape');
  await page.locator('#detail').waitFor({ state: 'hidden' });
  expect(await page.evaluate((sel) => document.activeElement === document.querySelector(sel), `${row(first)} th a`)).toBe(true);

  // The stream drops (as when an API instance goes away): the page reconnects by itself.
  await page.evaluate(() => {
    const g = globalThis as any;
    const el = document.getElementById('conn');
    g.connStates = [];
    new g.MutationObserver(() => g.connStates.push(el.dataset.state)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
  const socketsBefore = streams.length;
  await streams[streams.length - 1]!.close({ code: 1001, reason: 'going away' });
  await page.waitForFunction(() => (globalThis as any).connStates.includes('reconnecting'));
  await page.locator('#conn[data-state="live"]').waitFor();
  expect(streams.length).toBeGreaterThan(socketsBefore);

  // A job submitted elsewhere (plain API call) appears from the stream alone and finishes live.
  const call = apiClient(stack.url, stack.adminKey);
  const other = await call('POST', '/api/v1/jobs', { workflow: JSON.parse(sample), priority: 5 });
  expect(other.status).toBe(202);
  await page.locator(`${row(other.body.id)} .badge`, { hasText: 'succeeded' }).waitFor();
  await page.locator(`${row(other.body.id)} [role="progressbar"][aria-valuenow="100"]`).waitFor();
  // Retry works for it too: the API keeps every job's input (POST /jobs/{id}/retry).
  const beforeRetry = new Set(await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r: any) => r.dataset.jobId as string)));
  await page.click(`${row(other.body.id)} button:has-text("Retry")`);
  const otherRetried = await waitUntil(async () => {
    const ids = await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r: any) => r.dataset.jobId as string));
    return ids.find((id) => !beforeRetry.has(id));
  }, WAIT);
  await page.locator(`${row(otherRetried)} .badge`, { hasText: 'succeeded' }).waitFor();
  const otherAgain = await call('GET', `/api/v1/jobs/${otherRetried}`);
  expect(otherAgain.body).toMatchObject({ status: 'succeeded', priority: 5, retryOf: other.body.id });
  expect(otherAgain.body.artifacts).toHaveLength(1);

  // A long job with live previews on: it runs, shows a preview thumbnail, and is canceled.
  await page.check('#previews');
  await page.fill('#workflow', sample.replace('"steps": 20', '"steps": 3000'));
  const second = await submitFromForm();
  await page.locator(`${row(second)} .badge`, { hasText: 'running' }).waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.src.startsWith('data:image/') === true, `${row(second)} img.thumb`);
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute('aria-valuenow')) > 0, `${row(second)} [role="progressbar"]`);
  // The fleet panel follows: the backend's one slot is busy; its VRAM is shown.
  await page.locator('#fig-slots', { hasText: '1 / 1' }).waitFor();
  await page.locator('#fleet tr[data-backend-id="sim0"] td', { hasText: '1/1' }).waitFor();
  await page.locator('#fleet tr[data-backend-id="sim0"] td', { hasText: 'of 24.0 GiB' }).waitFor();
  await shot('04-second-job-running');
  await page.click(`${row(second)} button:has-text("Cancel")`);
  await page.locator(`${row(second)} .badge`, { hasText: 'canceled' }).waitFor();
  // It ended without an output: the preview thumbnail goes.
  await page.waitForFunction((sel) => document.querySelector(sel)?.hasAttribute('src') === false, `${row(second)} img.thumb`);
  const canceled = await waitUntil(async () => {
    const res = await call('GET', `/api/v1/jobs/${second}`);
    return res.body.status === 'canceled' ? res.body : undefined;
  });
  expect(canceled.error?.code).toBe('CANCELED');
  // A finished job offers Retry.
  await page.locator(`${row(second)} button:has-text("Retry")`).waitFor();
  await shot('05-second-job-canceled');

  // Retry resubmits the first job's input as a new job, which runs to the end.
  const before = new Set(await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r: any) => r.dataset.jobId as string)));
  await page.click(`${row(first)} button:has-text("Retry")`);
  const retried = await waitUntil(async () => {
    const ids = await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r: any) => r.dataset.jobId as string));
    return ids.find((id) => !before.has(id));
  }, WAIT);
  await page.locator(`${row(retried)} .badge`, { hasText: 'succeeded' }).waitFor();
  const again = await call('GET', `/api/v1/jobs/${retried}`);
  expect(again.body).toMatchObject({ status: 'succeeded', kind: 'workflow', priority: 0, retryOf: first });
  expect(again.body.artifacts).toHaveLength(1);

  // The status filter shows only matching jobs.
  await page.selectOption('#status-filter', 'canceled');
  await page.locator(row(first)).waitFor({ state: 'detached' });
  await page.locator(row(retried)).waitFor({ state: 'detached' });
  expect(await page.locator('#jobs tbody tr').count()).toBe(1);
  await page.selectOption('#status-filter', '');
  await page.locator(row(first)).waitFor();

  // Keyboard order in the jobs toolbar.
  await page.focus('#status-filter');
  await page.keyboard.press('Tab');
  expect(await activeId()).toBe('previews');
  await page.keyboard.press('Tab');
  expect(await activeId()).toBe('refresh');

  // A phone-sized window: one column (screenshot only).
  await page.setViewportSize({ width: 420, height: 900 });
  await shot('06-narrow');
  await page.setViewportSize({ width: 1280, height: 900 });
  // The dark palette follows the system's colour scheme.
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(17, 19, 24)');
  await shot('07-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Sign out forgets the key.
  await page.click('#signout');
  await page.locator('#signin').waitFor({ state: 'visible' });
  expect(await page.isVisible('#console')).toBe(false);
  expect(await page.evaluate(() => localStorage.getItem('gantry.dashboard.key'))).toBeNull();
  // Sign-out reloaded the page: warm server, assets from the browser cache.
  const warmLoad = await loadFigures();
  await writeFile(path.join(SHOTS, 'load.json'), `${JSON.stringify({ cold: coldLoad, reload: warmLoad }, null, 2)}\n`);

  expect(pageErrors).toEqual([]);
}, 300_000);

test('the file picker uploads an input image, the submit binds it, and the job detail shows it', async () => {
  // On its own (it may run alone): a fresh page load and sign-in, key not remembered.
  await page.goto(`${stack.url}/dashboard`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.fill('#key', stack.adminKey);
  await page.keyboard.press('Enter');
  await page.locator('#console').waitFor({ state: 'visible' });

  // The sample workflow plus a LoadImage node whose image is named `photo`: the name to bind.
  const workflow = { ...JSON.parse(await page.inputValue('#workflow')), '20': { class_type: 'LoadImage', inputs: { image: 'photo', upload: 'image' } } };
  await page.fill('#workflow', JSON.stringify(workflow, null, 2));
  const image = png(24, 16, [10, 120, 200]);
  await page.setInputFiles('#input-file', { name: 'photo.png', mimeType: 'image/png', buffer: image });
  await page.fill('#input-name', 'photo');
  const id = await submitFromForm();

  // The API holds the upload and the job's input bound to the LoadImage node.
  const call = apiClient(stack.url, stack.adminKey);
  const job = await waitUntil(async () => {
    const res = await call('GET', `/api/v1/jobs/${id}`);
    return res.body.status === 'succeeded' || res.body.status === 'failed' ? res.body : undefined;
  }, WAIT);
  expect(job.status).toBe('succeeded');
  const sha256 = createHash('sha256').update(image).digest('hex');
  expect(job.inputs).toEqual([
    expect.objectContaining({ name: 'photo', source: 'upload', sha256, contentType: 'image/png', bytes: image.length, width: 24, height: 16, targets: [{ node: '20', field: 'image' }] }),
  ]);
  const upload = await call('GET', `/api/v1/uploads/${job.inputs[0].uploadId}`);
  expect(upload.body).toMatchObject({ sha256, width: 24, height: 16 });

  // The job's detail lists the input as the page shows it.
  await page.click(`${row(id)} th a`);
  await page.locator('#detail').waitFor({ state: 'visible' });
  const input = page.locator('#detail-props dd', { hasText: 'photo: 24×16 png' });
  await input.waitFor();
  expect(await input.textContent()).toBe(`photo: 24×16 png, ${image.length} bytes → 20.image`);
  expect(await input.locator('span').getAttribute('title')).toBe(sha256);
  await shot('08-job-with-input');
  await page.keyboard.press('Escape');
  await page.locator('#detail').waitFor({ state: 'hidden' });
  // The form's file stays picked for the next submit; clearing it is the user's choice.
  await page.setInputFiles('#input-file', []);
  expect(pageErrors).toEqual([]);
}, 180_000);

test('what the dashboard does not serve falls through to the API problem answers', async () => {
  const call = apiClient(stack.url);
  for (const [method, path] of [
    ['GET', '/dashboard/nope'],
    ['GET', '/dashboard/assets/app.000000000000.js'],
    ['POST', '/dashboard'],
  ] as const) {
    const res = await call(method, path, method === 'POST' ? {} : undefined);
    expect([path, res.status, res.headers.get('content-type'), res.body.code]).toEqual([path, 404, 'application/problem+json; charset=utf-8', 'NOT_FOUND']);
  }
});
