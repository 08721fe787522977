import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`. */
export const SIGNATURE_HEADER = 'Gantry-Signature';

/** HMAC-SHA256 of `<timestamp>.<raw body>` with one secret, as lowercase hex. */
export function computeSignature(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * The `Gantry-Signature` value for a body sent at `timestamp` (unix seconds). With several secrets
 * (during a rotation) there is one `v1` per secret, so receivers holding either one can verify.
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, rawBody: string | Buffer): string {
  if (secrets.length === 0) throw new Error('no webhook signing secret');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, rawBody)}`)].join(',');
}

export interface VerifyOptions {
  /** Largest accepted age (and clock skew into the future) of the signature's timestamp. Default 300. */
  toleranceSeconds?: number;
  /** Current time in unix seconds (tests). */
  now?: number;
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * For receivers: true when the `Gantry-Signature` header is valid for the raw request body (the
 * exact bytes received, not a re-serialised JSON): some `v1` matches one of the secrets (compared
 * in constant time) and the timestamp is within `toleranceSeconds` (default 300) of now, so a
 * captured request cannot be replayed later. Never throws on bad input. `checkWebhookSignature`
 * says why a signature was refused.
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | null | undefined,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): boolean {
  return checkWebhookSignature(rawBody, header, secret, options).ok;
}

/** `verifyWebhookSignature` with the reason of a refusal: malformed, stale (replay) or mismatch. */
export function checkWebhookSignature(
  rawBody: string | Buffer,
  header: string | null | undefined,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): VerifyResult {
  const secrets = (typeof secret === 'string' ? [secret] : [...secret]).filter((s) => s.length > 0);
  if (typeof header !== 'string' || header.length > 4096 || secrets.length === 0) return { ok: false, reason: 'malformed' };
  let timestamp: number | null = null;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(Buffer.from(value.toLowerCase(), 'hex'));
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: 'stale' };
  let match = false;
  for (const s of secrets) {
    const expected = Buffer.from(computeSignature(s, timestamp, rawBody), 'hex');
    // Every candidate is compared (no early exit), each in constant time.
    for (const c of candidates) if (timingSafeEqual(expected, c)) match = true;
  }
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
