import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { GantryClient, JobInputSpec } from '@gantry/sdk';
import { UsageError } from './exit-codes.js';

/** One `--input name=value`: an image file to upload, an https URL, or an upload id (`upload:<id>`). */
export interface InputArg {
  name: string;
  source: { file: string } | { url: string } | { upload: string };
}

export function parseInputArg(value: string): InputArg {
  const eq = value.indexOf('=');
  const name = value.slice(0, eq);
  const rest = value.slice(eq + 1);
  if (eq <= 0 || rest === '') throw new UsageError(`--input expects name=file (or name=https://..., name=upload:<id>), got "${value}"`, 'submit');
  if (/^https:\/\//i.test(rest)) return { name, source: { url: rest } };
  if (rest.startsWith('upload:')) return { name, source: { upload: rest.slice('upload:'.length) } };
  return { name, source: { file: rest } };
}

/**
 * The `inputs` of a submit: files are uploaded (streamed, once each, before any job is submitted;
 * the same bytes are the same upload), URLs and upload ids are passed on.
 */
export async function resolveInputArgs(client: GantryClient, args: InputArg[], cwd: string, signal?: AbortSignal): Promise<Record<string, JobInputSpec> | undefined> {
  if (args.length === 0) return undefined;
  const out: Record<string, JobInputSpec> = {};
  for (const { name, source } of args) {
    if ('file' in source) {
      const file = path.resolve(cwd, source.file);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw new UsageError(`--input ${name}: cannot read ${source.file}`, 'submit');
      const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
      const upload = await client.upload(body, signal ? { signal } : {});
      out[name] = { upload: upload.id };
    } else {
      out[name] = source;
    }
  }
  return out;
}
