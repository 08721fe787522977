import { createHash, hash } from 'node:crypto';
import { CanonicalText, canonicalJson, type WorkflowText } from '@gantry/domain';

/** SHA-256 of a request body in canonical JSON: equal requests hash equally whatever their key order. */
export function requestHash(body: unknown): string {
  return hash('sha256', canonicalJson(body), 'hex');
}

/**
 * requestHash({ batch: items }) without building the whole canonical text at once: each item's
 * canonical JSON is fed to the hash in turn (equal result; a 1000-job batch is a megabyte).
 * `texts[i]`, when given, is item i's `workflow` (an object's member) already written (workflowText):
 * it is used as it is instead of being written again.
 */
export function batchRequestHash(items: readonly unknown[], texts: readonly (WorkflowText | undefined)[] = []): string {
  const sha = createHash('sha256').update('{"batch":[');
  items.forEach((item, i) => {
    const text = texts[i];
    const canonical = text ? canonicalJson({ ...(item as object), workflow: new CanonicalText(text.json) }) : canonicalJson(item);
    sha.update(i === 0 ? canonical : `,${canonical}`);
  });
  return sha.update(']}').digest('hex');
}
