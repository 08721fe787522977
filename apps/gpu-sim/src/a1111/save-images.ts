import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `save_images: true`: the samples go where A1111 puts them, `txt2img-images/<YYYY-MM-DD>/` under
 * the output folder, named `<counter>-<seed>.png` with the counter continuing after the highest
 * one there (`images.get_next_sequence_number`). ComfyUI's `/view` serves them too.
 */
export async function saveImages(outputDir: string, images: ReadonlyArray<{ png: Buffer; seed: number }>, now = new Date()): Promise<string[]> {
  const p = (n: number) => String(n).padStart(2, '0');
  const dir = join(outputDir, 'txt2img-images', `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`);
  await mkdir(dir, { recursive: true });
  let next = 0;
  for (const name of await readdir(dir)) {
    const counter = Number.parseInt(name.split('-')[0] ?? '', 10);
    if (Number.isInteger(counter)) next = Math.max(next, counter + 1);
  }
  const written: string[] = [];
  for (const [i, image] of images.entries()) {
    const file = join(dir, `${String(next + i).padStart(5, '0')}-${image.seed}.png`);
    await writeFile(file, image.png);
    written.push(file);
  }
  return written;
}
