import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ComfyUI's three folder types, each a directory of this sim instance. */
export interface SimDirs {
  root: string;
  output: string;
  temp: string;
  input: string;
}

const FOLDER_TYPES = ['output', 'temp', 'input'] as const;
export type FolderType = (typeof FOLDER_TYPES)[number];

/** A fresh directory tree under the OS temp dir, private to one sim instance. */
export async function createSimDirs(): Promise<SimDirs> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-gpu-sim-'));
  const dirs = { root, output: join(root, 'output'), temp: join(root, 'temp'), input: join(root, 'input') };
  await Promise.all(FOLDER_TYPES.map((type) => mkdir(dirs[type])));
  return dirs;
}

export async function removeSimDirs(dirs: SimDirs): Promise<void> {
  await rm(dirs.root, { recursive: true, force: true });
}

export function isFolderType(value: string): value is FolderType {
  return (FOLDER_TYPES as readonly string[]).includes(value);
}
