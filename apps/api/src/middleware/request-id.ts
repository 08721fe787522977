import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * pino-http's id generator: reuse a well-formed incoming `X-Request-Id` (so a request can be
 * traced through a proxy), otherwise make one; echo it in the response either way.
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
