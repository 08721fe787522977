import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import busboy from 'busboy';
import { isFolderType } from '../output/sim-dirs.js';
import type { SimContext } from '../sim-context.js';
import { json, text, type Route, type SimRequest, type SimResponse } from './router.js';

/** ComfyUI's `--max-upload-size` default. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

interface UploadForm {
  fields: Record<string, string>;
  file: { filename: string; data: Buffer } | null;
}

/** Reads a multipart form: its text fields and the `image` file part (at most 100 MB). */
function readForm(req: SimRequest): Promise<UploadForm> {
  return new Promise((resolvePromise, reject) => {
    const form: UploadForm = { fields: {}, file: null };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.incoming.headers, limits: { fileSize: MAX_UPLOAD_BYTES } });
    } catch (err) {
      reject(err);
      return;
    }
    parser.on('field', (name, value) => (form.fields[name] = value));
    parser.on('file', (name, stream, info) => {
      if (name !== 'image') {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => reject(new Error('upload too large')));
      stream.on('end', () => (form.file = { filename: info.filename ?? '', data: Buffer.concat(chunks) }));
    });
    parser.on('error', reject);
    parser.on('close', () => resolvePromise(form));
    req.incoming.pipe(parser);
  });
}

/**
 * ComfyUI's `image_upload`: the file goes to `<type folder>/<subfolder>/<filename>` (type `input`
 * by default). Without `overwrite`, an existing file with the same bytes is reused (the answer
 * names it) and one with other bytes makes the new one `name (1).ext`, as ComfyUI does.
 */
async function storeUpload(ctx: SimContext, form: UploadForm): Promise<SimResponse> {
  const file = form.file;
  if (!file || !file.filename) return text(400, '400: Bad Request');
  const type = form.fields.type || 'input';
  if (!isFolderType(type)) return text(400, '400: Bad Request');
  const folder = ctx.dirs[type];
  const subfolder = form.fields.subfolder ?? '';
  const dir = resolve(folder, normalize(subfolder));
  let target = join(dir, basename(file.filename));
  const rel = relative(folder, target);
  if (rel.startsWith('..') || isAbsolute(rel)) return text(400, '400: Bad Request');
  await mkdir(dir, { recursive: true });
  const overwrite = form.fields.overwrite === 'true' || form.fields.overwrite === '1';
  let name = basename(file.filename);
  let duplicate = false;
  if (!overwrite) {
    const ext = extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let i = 1; ; i += 1) {
      const existing = await readFile(target).catch(() => null);
      if (!existing) break;
      if (sha(existing) === sha(file.data)) {
        duplicate = true;
        break;
      }
      name = `${stem} (${i})${ext}`;
      target = join(dir, name);
    }
  }
  if (!duplicate) await writeFile(target, file.data);
  ctx.uploads.push({ name, subfolder, type, bytes: file.data.length, sha256: sha(file.data), duplicate });
  return json(200, { name, subfolder, type });
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * `POST /upload/image` and `POST /upload/mask`. The mask route needs `original_ref` (JSON naming
 * an existing image) as ComfyUI does; the sim stores the mask as sent instead of painting it into
 * the original's alpha channel.
 */
export function uploadRoutes(ctx: SimContext): Route[] {
  return [
    { method: 'POST', path: '/upload/image', handler: async (req) => storeUpload(ctx, await readForm(req)) },
    {
      method: 'POST',
      path: '/upload/mask',
      handler: async (req) => {
        const form = await readForm(req);
        let ref: { filename?: unknown; subfolder?: unknown; type?: unknown };
        try {
          ref = JSON.parse(form.fields.original_ref ?? '');
        } catch {
          return text(400, '400: Bad Request');
        }
        const type = typeof ref.type === 'string' ? ref.type : 'output';
        if (typeof ref.filename !== 'string' || !isFolderType(type)) return text(400, '400: Bad Request');
        const original = join(ctx.dirs[type], typeof ref.subfolder === 'string' ? ref.subfolder : '', basename(ref.filename));
        if (!(await readFile(original).then(() => true, () => false))) return text(404, '404: Not Found');
        return storeUpload(ctx, form);
      },
    },
  ];
}
