import { createHash } from 'node:crypto';
import { operations } from '@gantry/contract';
import { readVersion } from '../version.js';
import { buildOpenApiDocument } from './build-document.js';

export interface ServedDocument {
  document: Record<string, unknown>;
  /** The exact bytes served (and written to docs/openapi.json by `npm run openapi`). */
  json: string;
  etag: string;
}

let cached: ServedDocument | undefined;

/** The API's OpenAPI document, built once per process (it only changes with the code). */
export function openApiDocument(): ServedDocument {
  if (!cached) {
    const document = buildOpenApiDocument(operations, { version: readVersion() });
    const json = `${JSON.stringify(document, null, 2)}\n`;
    cached = { document, json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"` };
  }
  return cached;
}
