const KEY_RE = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

/** The key an object is stored under: `sha256/<first byte>/<hash>`, the same in every store. */
export function contentKey(sha256: string): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** Whether a key has the content-addressed shape; stores refuse any other key. */
export function isContentKey(key: string): boolean {
  return KEY_RE.test(key);
}
