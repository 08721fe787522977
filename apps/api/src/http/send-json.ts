import type { Response } from 'express';

/** What `res.json` sets: `application/json`, completed with its charset by mime-types on every call. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends `body` as `res.json(body)` does in this app (no `json replacer`, `json spaces` or `json
 * escape` set, no ETag: app.ts) — the same bytes and headers, the freshness check and HEAD
 * through `res.send` — without looking the content type up twice (mime-types) and parsing it once
 * more to add a charset that is already there. For the hot reads (bench/README.md, "Reads").
 */
export function sendJson(res: Response, body: unknown): void {
  if (!res.get('Content-Type')) res.setHeader('Content-Type', JSON_CONTENT_TYPE); // as res.json: one set earlier stays
  // A Buffer is sent as given; a string of 1000 characters or more Express would turn into one anyway.
  res.send(Buffer.from(JSON.stringify(body), 'utf8'));
}
