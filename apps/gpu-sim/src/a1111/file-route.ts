import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { json, type Route, type SimResponse } from '../http/router.js';
import { CONTENT_TYPES } from '../http/view-route.js';

/**
 * The web UI's `GET /file=<path>` (gradio 3.41, which A1111 1.6-1.10 ship): serves a file by its
 * path, relative paths resolving against the app's directory (the sim's own directory here, the
 * webui folder in A1111). It is how the UI shows saved images, so A1111's outputs can be read
 * back this way unless the API runs alone (`--nowebui`). Dot files and folders are refused (403),
 * as is anything outside the app's directory (gradio's `allowed_paths` are not simulated); a
 * missing file is 404. Errors are FastAPI's `{"detail": …}`.
 */
export function fileRoute(appDir: string): Route {
  return {
    method: 'GET',
    path: /^\/file=(.+)$/,
    handler: async (req): Promise<SimResponse> => {
      const requested = req.params[0]!;
      const path = resolve(appDir, requested);
      const info = await stat(path).catch(() => undefined);
      const rel = relative(appDir, path);
      const inAppDir = !rel.startsWith('..') && !isAbsolute(rel);
      // Gradio checks every part of the absolute path for dot files; the sim only the part under its directory (which lives under the OS temp folder).
      if (rel.split(/[\\/]/).some((part) => part.startsWith('.') && part !== '..') || info?.isDirectory() || !inAppDir) {
        return json(403, { detail: `File not allowed: ${requested}.` });
      }
      if (!info?.isFile()) return json(404, { detail: `File not found: ${requested}.` });
      return {
        status: 200,
        headers: { 'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'accept-ranges': 'bytes' },
        body: await readFile(path),
      };
    },
  };
}
