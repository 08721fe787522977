import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_DIR } from './paths.js';

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const ratio = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

function palette(block: string): Map<string, string> {
  return new Map([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})\b/g)].map((m) => [m[1]!, m[2]!]));
}

/** The light palette (the first :root block) and the dark one (it overrides the light values). */
function palettes(): [string, Map<string, string>][] {
  const css = readFileSync(path.join(CLIENT_DIR, 'styles.css'), 'utf8');
  const light = palette(/:root\s*{([^}]*)}/.exec(css)![1]!);
  const darkBlock = /@media \(prefers-color-scheme: dark\)\s*{\s*:root\s*{([^}]*)}/.exec(css);
  expect(darkBlock).not.toBeNull();
  const dark = new Map([...light, ...palette(darkBlock![1]!)]);
  return [
    ['light', light],
    ['dark', dark],
  ];
}

test.each(palettes())('every text colour pair of the %s palette reaches WCAG AA contrast (4.5:1)', (_name, vars) => {
  const pairs = [...vars.keys()].filter((k) => k.endsWith('-fg')).map((k) => k.slice(0, -3));
  expect(pairs.length).toBeGreaterThanOrEqual(10);
  const failing = pairs
    .map((name) => ({ name, ratio: ratio(vars.get(`${name}-fg`)!, vars.get(`${name}-bg`)!) }))
    .filter((p) => !(p.ratio >= 4.5));
  expect(failing).toEqual([]);
  // Muted text also sits on the page background, links and muted text on the selected row.
  expect(ratio(vars.get('muted-fg')!, vars.get('page-bg')!)).toBeGreaterThanOrEqual(4.5);
  expect(ratio(vars.get('link-fg')!, vars.get('selected-bg')!)).toBeGreaterThanOrEqual(4.5);
  expect(ratio(vars.get('card-fg')!, vars.get('selected-bg')!)).toBeGreaterThanOrEqual(4.5);
  // The focus ring, the bar fill and form borders stand out from the cards (3:1 for non-text, WCAG 1.4.11).
  for (const ui of ['focus', 'bar-fill', 'input-border']) expect([ui, ratio(vars.get(ui)!, vars.get('card-bg')!) >= 3]).toEqual([ui, true]);
});

test('the dark palette overrides every colour of the light one', () => {
  const [[, light], [, dark]] = palettes() as [[string, Map<string, string>], [string, Map<string, string>]];
  const css = readFileSync(path.join(CLIENT_DIR, 'styles.css'), 'utf8');
  const darkOnly = palette(/@media \(prefers-color-scheme: dark\)\s*{\s*:root\s*{([^}]*)}/.exec(css)![1]!);
  expect([...light.keys()].filter((k) => !darkOnly.has(k))).toEqual([]);
  expect(dark.size).toBe(light.size);
});
