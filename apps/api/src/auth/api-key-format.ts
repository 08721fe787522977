import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_RE = /^gty_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  /** The full secret, shown to the user once. */
  key: string;
  /** Public lookup handle stored in clear. */
  prefix: string;
  hash: string;
}

/** The key's sha256 in hex (one-shot `crypto.hash`: no Hash object per request, bench/README.md "Reads"). */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A new key: `gty_<12-char public id>_<256-bit secret>`. */
export function generateApiKey(): GeneratedKey {
  const id = randomBytes(9).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(12, 'x').slice(0, 12);
  const key = `gty_${id}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: id, hash: hashKey(key) };
}

/**
 * The lookup prefix of a presented key. Generated keys carry theirs; an operator-chosen key
 * (GANTRY_ADMIN_KEY) is found by a digest of itself, so any string can serve as the admin key.
 */
export function lookupPrefix(key: string): string {
  const match = KEY_RE.exec(key);
  return match ? match[1]! : `h_${hashKey(key).slice(0, 24)}`;
}

/** Constant-time comparison of a presented key against a stored hash. */
export function keyMatches(key: string, storedHash: string): boolean {
  const presented = hash('sha256', key, 'buffer');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
