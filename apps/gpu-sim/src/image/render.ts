import type { RgbImage } from './png.js';
import { seededRandom, type Random } from './prng.js';

type Rgb = [number, number, number];

/**
 * Paints a small landscape (gradient sky, a sun with a glow, three ridges, film grain) whose
 * every choice is drawn from `key`. Same key and size → identical pixels; any change to the key
 * (seed, prompt text…) → a visibly different picture.
 */
export function renderScene(key: string, width: number, height: number): RgbImage {
  const rnd = seededRandom(key);
  const hue = rnd() * 360;
  const skyTop = hsv(hue, 0.55, 0.35);
  const skyLow = hsv(hue + 30 + rnd() * 60, 0.35, 0.95);
  const sun = { x: (0.2 + rnd() * 0.6) * width, y: (0.12 + rnd() * 0.3) * height, r: (0.05 + rnd() * 0.07) * Math.min(width, height) };
  const sunColour = hsv(20 + rnd() * 40, 0.35, 1);
  const ridges = [0, 1, 2].map((layer) => ridgeLine(rnd, width, height, layer));
  const ridgeColours = [0, 1, 2].map((layer) => hsv(hue + 150 + rnd() * 60, 0.4 + layer * 0.15, 0.7 - layer * 0.22));
  const grain = seededRandom(`${key}/grain`);

  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    const t = y / Math.max(1, height - 1);
    for (let x = 0; x < width; x += 1) {
      let colour: Rgb = mix(skyTop, skyLow, Math.min(1, t * 1.4));
      const d = Math.hypot(x - sun.x, y - sun.y);
      if (d < sun.r) colour = sunColour;
      else colour = mix(colour, sunColour, Math.max(0, 1 - (d - sun.r) / (sun.r * 3)) * 0.5);
      // Nearest ridge wins: check front (layer 2) to back.
      for (let layer = 2; layer >= 0; layer -= 1) {
        const top = ridges[layer]![x]!;
        if (y >= top) {
          colour = mix(ridgeColours[layer]!, [0, 0, 0], Math.min(0.5, (y - top) / height));
          break;
        }
      }
      const noise = (grain() - 0.5) * 12;
      const i = (y * width + x) * 3;
      pixels[i] = clamp(colour[0] + noise);
      pixels[i + 1] = clamp(colour[1] + noise);
      pixels[i + 2] = clamp(colour[2] + noise);
    }
  }
  return { width, height, pixels };
}

/**
 * A partially "denoised" preview: the scene at reduced size blended with seeded noise, clearer as
 * `fraction` goes from 0 to 1 (what a sampler preview looks like step by step).
 */
export function renderPreview(key: string, width: number, height: number, fraction: number): RgbImage {
  const scene = renderScene(key, width, height);
  const noise = seededRandom(`${key}/preview`);
  const f = Math.max(0, Math.min(1, fraction));
  for (let i = 0; i < scene.pixels.length; i += 1) {
    scene.pixels[i] = clamp(scene.pixels[i]! * f + noise() * 255 * (1 - f));
  }
  return scene;
}

/** The y of a ridge's top edge for every column: a sum of three seeded sine waves. */
function ridgeLine(rnd: Random, width: number, height: number, layer: number): Float32Array {
  const base = height * (0.5 + layer * 0.13);
  const waves = [0, 1, 2].map((k) => ({ amp: height * (0.08 / (k + 1)) * (0.5 + rnd()), freq: (k + 1) * (1 + rnd() * 3), phase: rnd() * Math.PI * 2 }));
  const line = new Float32Array(width);
  for (let x = 0; x < width; x += 1) {
    const u = x / width;
    line[x] = base - waves.reduce((sum, w) => sum + w.amp * Math.sin(u * w.freq * Math.PI * 2 + w.phase), 0);
  }
  return line;
}

function hsv(h: number, s: number, v: number): Rgb {
  const hh = (((h % 360) + 360) % 360) / 60;
  const c = v * s;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  const m = v - c;
  const [r, g, b] = hh < 1 ? [c, x, 0] : hh < 2 ? [x, c, 0] : hh < 3 ? [0, c, x] : hh < 4 ? [0, x, c] : hh < 5 ? [x, 0, c] : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
