import { existsSync } from 'node:fs';

/** Where browser tests look for Chromium: Debian's package here, Google Chrome on GitHub's runners. */
export const BROWSER_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * The browser executable for playwright-core: `CHROMIUM_PATH` when set, else the first of
 * BROWSER_PATHS that exists. Throws with install instructions when there is none: a browser test
 * must fail, not pass, on a machine without a browser.
 */
export function findChromium(env: Record<string, string | undefined> = process.env): string {
  const wanted = env.CHROMIUM_PATH;
  if (wanted) {
    if (!existsSync(wanted)) throw new Error(`CHROMIUM_PATH=${wanted} does not exist`);
    return wanted;
  }
  const found = BROWSER_PATHS.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no Chromium or Chrome at ${BROWSER_PATHS.join(', ')}: install Debian's "chromium" package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return found;
}
