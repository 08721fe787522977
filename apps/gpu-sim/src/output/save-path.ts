import { mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, normalize, relative, resolve, isAbsolute } from 'node:path';
import { NodeException } from '../execution/errors.js';

export interface SavePath {
  fullDir: string;
  /** The file name prefix, without the counter. */
  filename: string;
  /** The first free counter for this prefix. */
  counter: number;
  /** The subfolder part of the prefix, as `/view` expects it. */
  subfolder: string;
}

/**
 * ComfyUI's `folder_paths.get_save_image_path`: `%width%`/`%height%` are substituted, a prefix
 * like `renders/cat` saves into subfolder `renders`, and the counter continues after the highest
 * `<prefix>_NNNNN_` file already there. A prefix escaping the folder is an error.
 */
export async function saveImagePath(baseDir: string, prefix: string, width: number, height: number): Promise<SavePath> {
  const expanded = prefix.replaceAll('%width%', String(width)).replaceAll('%height%', String(height));
  const normalised = normalize(expanded);
  const subfolder = dirname(normalised) === '.' ? '' : dirname(normalised);
  const filename = basename(normalised);
  const fullDir = resolve(baseDir, subfolder);
  const rel = relative(baseDir, fullDir);
  if (isAbsolute(subfolder) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new NodeException('Exception', `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${fullDir}\n         output_dir: ${baseDir}`);
  }
  await mkdir(fullDir, { recursive: true });
  let counter = 1;
  for (const name of await readdir(fullDir)) {
    const digits = Number.parseInt(name.slice(filename.length + 1).split('_')[0] ?? '', 10);
    if (name.slice(0, filename.length + 1).toLowerCase() === `${filename}_`.toLowerCase() && Number.isInteger(digits)) {
      counter = Math.max(counter, digits + 1);
    }
  }
  return { fullDir, filename, counter, subfolder };
}
