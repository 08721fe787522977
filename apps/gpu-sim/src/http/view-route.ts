import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, isAbsolute } from 'node:path';
import { isFolderType } from '../output/sim-dirs.js';
import type { SimContext } from '../sim-context.js';
import type { Route, SimResponse } from './router.js';

/** File extension → Content-Type, for the file-serving routes. */
export const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
  '.json': 'application/json', '.txt': 'text/plain', '.mp4': 'video/mp4', '.webm': 'video/webm',
  '.wav': 'audio/wav', '.mp3': 'audio/mpeg', '.flac': 'audio/flac',
};

/** `folder_paths.annotated_filepath`: a `name [output]` suffix picks the folder. */
function annotated(name: string): { name: string; type?: string } {
  const m = /^(.*) \[(output|input|temp)\]$/.exec(name);
  return m ? { name: m[1]!, type: m[2]! } : { name };
}

/**
 * `GET /view?filename=&subfolder=&type=`: the raw file, with ComfyUI's checks. No filename → 404,
 * a bad type or a filename with `..` or a leading `/` → 400, a subfolder escaping the folder →
 * 403, a missing file → 404. HTML/JS/CSS would be served as octet-stream; the table above only
 * maps safe types. `preview` and `channel` re-encoding are not simulated (the raw file is sent).
 */
export function viewRoute(ctx: SimContext): Route {
  return {
    method: 'GET',
    path: '/view',
    handler: async (req): Promise<SimResponse> => {
      const requested = req.query.get('filename');
      if (requested === null) return { status: 404 };
      const { name, type: annotatedType } = annotated(requested);
      const type = annotatedType ?? req.query.get('type') ?? 'output';
      if (!name || !isFolderType(type)) return { status: 400 };
      if (name.startsWith('/') || name.includes('..')) return { status: 400 };
      const folder = ctx.dirs[type];
      const dir = resolve(folder, req.query.get('subfolder') ?? '');
      const rel = relative(folder, dir);
      if (rel.startsWith('..') || isAbsolute(rel)) return { status: 403 };
      const file = join(dir, basename(name));
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return { status: 404 };
      const filename = basename(file);
      return {
        status: 200,
        headers: { 'content-type': CONTENT_TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream', 'content-disposition': `filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}"` },
        body: await readFile(file),
      };
    },
  };
}
