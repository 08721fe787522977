import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { applyPattern, type NameContext } from './filename-pattern.js';
import { A1111Exception } from './responses.js';

/** One image to save, with what its name may be made of. */
export interface SampleImage {
  png: Buffer;
  name: NameContext;
}

/**
 * `images.get_next_sequence_number(path, "")`: one past the highest leading number of any file in
 * the folder (`00007-1234.png` counts as 7), 0 in an empty one.
 */
function nextSequenceNumber(dir: string): number {
  let highest = -1;
  for (const file of readdirSync(dir)) {
    const first = file.replace(/\.[^.]*$/, '').split('-')[0] ?? '';
    if (/^\s*[+-]?\d+\s*$/.test(first)) highest = Math.max(highest, Number.parseInt(first, 10));
  }
  return highest + 1;
}

/**
 * A1111's `images.save_image` for txt2img samples (`p.outpath_samples`, no basename), with the
 * settings the job runs with: with `save_to_dirs` into a folder named by
 * `directories_filename_pattern`; named `<NNNNN>-<samples_filename_pattern>.png` (the request's
 * own `override_settings` pattern wins, as in A1111 1.7+; an empty decoration forces the number).
 * Synchronous: A1111 writes each image inside the job, before the task counts as finished. The
 * sim only writes PNGs (whatever `samples_format` says) and only inside its own directory.
 * Returns the paths written.
 */
export function saveSamples(appDir: string, opts: Readonly<Record<string, unknown>>, overrides: Record<string, unknown>, images: readonly SampleImage[]): string[] {
  const outdir = resolve(appDir, String(opts.outdir_txt2img_samples ?? ''));
  const written: string[] = [];
  for (const image of images) {
    let dir = outdir;
    if (opts.save_to_dirs === true) {
      const pattern = String(opts.directories_filename_pattern || '[prompt_words]');
      dir = join(outdir, applyPattern(pattern, image.name).replace(/^ +/, '').replace(/[\\ /]+$/, ''));
    }
    const rel = relative(appDir, dir);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new A1111Exception('PermissionError', `gpu-sim: will not save outside its own directory: ${dir}`);
    mkdirSync(dir, { recursive: true });
    const override = overrides.samples_filename_pattern;
    const pattern = typeof override === 'string' ? override : String(opts.samples_filename_pattern || (opts.save_to_dirs === true ? '[seed]' : '[seed]-[prompt_spaces]'));
    let decoration = applyPattern(pattern, image.name);
    const addNumber = opts.save_images_add_number === true || decoration === '';
    if (decoration !== '' && addNumber) decoration = `-${decoration}`;
    const name = addNumber ? `${String(nextSequenceNumber(dir)).padStart(5, '0')}${decoration}.png` : `${decoration}.png`;
    const file = join(dir, name);
    writeFileSync(file, image.png);
    written.push(file);
  }
  return written;
}
