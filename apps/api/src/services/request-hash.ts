import { createHash } from 'node:crypto';
import { canonicalJson } from '@gantry/domain';

/** SHA-256 of a request body in canonical JSON: equal requests hash equally whatever their key order. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
