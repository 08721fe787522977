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

test('every text colour pair of the stylesheet reaches WCAG AA contrast (4.5:1)', () => {
  const css = readFileSync(path.join(CLIENT_DIR, 'styles.css'), 'utf8');
  const vars = new Map([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})\b/g)].map((m) => [m[1]!, m[2]!]));
  const pairs = [...vars.keys()].filter((k) => k.endsWith('-fg')).map((k) => k.slice(0, -3));
  expect(pairs.length).toBeGreaterThanOrEqual(10);
  const failing = pairs
    .map((name) => ({ name, ratio: ratio(vars.get(`${name}-fg`)!, vars.get(`${name}-bg`) ?? '#ffffff') }))
    .filter((p) => p.ratio < 4.5);
  expect(failing).toEqual([]);
  // Muted text also sits on the page background and on the selected row.
  expect(ratio(vars.get('muted-fg')!, vars.get('page-bg')!)).toBeGreaterThanOrEqual(4.5);
  // The focus ring must stand out from the white cards (3:1 for non-text, WCAG 1.4.11).
  expect(ratio(vars.get('focus') ?? '#000000', '#ffffff')).toBeGreaterThanOrEqual(3);
});
