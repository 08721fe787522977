/**
 * The Node entry of the SDK: everything of `@gantry/sdk`, a client that uses the `ws` package for
 * the stream (Node 20 has no global WebSocket), and helpers that write outputs to disk.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WebSocket } from 'ws';
import { GantryClient, type CallOptions, type GantryClientOptions } from './client.js';
import type { Artifact, Job } from './types.js';
import type { WebSocketConstructor } from './websocket.js';

// Everything of the isomorphic entry, by name (see index.ts).
export {
  BATCH_MAX_JOBS,
  JOB_EVENTS_PAGE_MAX,
  JOB_STATUSES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  CLIENT_ERROR_CODES,
  GantryError,
  clientError,
  errorFromResponse,
  isGantryError,
  GantryClient,
  JobWatch,
  applyJobEvent,
  backoffDelay,
  isAbortError,
  parseRetryAfter,
} from './index.js';
export type * from './index.js';

/** A GantryClient whose stream uses the `ws` package unless `WebSocket` is given. */
export function createNodeClient(options: GantryClientOptions = {}): GantryClient {
  return new GantryClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
}

/** A file name safe on every OS, from an artifact's name (no directories, no control characters). */
export function safeFilename(name: string, fallback = 'output'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f<>:"|?*\u007f]/g, '_').replace(/^\.+/, '').trim();
  return cleaned.slice(0, 200) || fallback;
}

export interface SaveOptions extends CallOptions {
  /** Replace files that exist (default false: `name-1.png`, `name-2.png`, ...). */
  overwrite?: boolean;
}

export interface SavedArtifact {
  artifact: Artifact;
  /** Where it was written. */
  path: string;
  bytes: number;
}

/** Streams one artifact into `dir` (created if needed); resolves with the file's path. */
export async function saveArtifact(client: GantryClient, artifact: Artifact, dir: string, options: SaveOptions = {}): Promise<SavedArtifact> {
  await mkdir(dir, { recursive: true });
  const target = await freePath(dir, safeFilename(artifact.filename, artifact.id), options.overwrite ?? false);
  const partial = `${target}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const body = await client.downloadStream(artifact, options);
    const reader = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
    const out = createWriteStream(partial, { flags: 'wx' });
    let bytes = 0;
    reader.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await pipeline(reader, out, options.signal ? { signal: options.signal } : {});
    await rename(partial, target);
    return { artifact, path: target, bytes };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** Downloads every output of a job into `dir`, one after the other; resolves with the files. */
export async function saveOutputs(client: GantryClient, job: Job, dir: string, options: SaveOptions = {}): Promise<SavedArtifact[]> {
  const saved: SavedArtifact[] = [];
  for (const artifact of job.artifacts) saved.push(await saveArtifact(client, artifact, dir, options));
  return saved;
}

const reserved = new Set<string>();

/** `name`, or `name-1.ext`, `name-2.ext`, ... when it exists (or is being written by this process). */
async function freePath(dir: string, name: string, overwrite: boolean): Promise<string> {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = path.join(dir, i === 0 ? name : `${stem}-${i}${ext}`);
    if (reserved.has(candidate)) continue;
    if (overwrite || !existsSync(candidate)) {
      reserved.add(candidate);
      setTimeout(() => reserved.delete(candidate), 60_000).unref();
      return candidate;
    }
  }
}
