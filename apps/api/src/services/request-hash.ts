import { createHash } from 'node:crypto';
import { canonicalJson } from '@gantry/domain';

/** SHA-256 of a request body in canonical JSON: equal requests hash equally whatever their key order. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * requestHash({ batch: items }) without building the whole canonical text at once: each item's
 * canonical JSON is fed to the hash in turn (equal result; a 1000-job batch is a megabyte).
 */
export function batchRequestHash(items: readonly unknown[]): string {
  const hash = createHash('sha256').update('{"batch":[');
  items.forEach((item, i) => hash.update(i === 0 ? canonicalJson(item) : `,${canonicalJson(item)}`));
  return hash.update(']}').digest('hex');
}
