import type { Db } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import type { ArtifactStore } from '@gantry/storage';
import type { RetryPolicy, TargetPolicy } from '@gantry/webhooks';

/** What the webhook delivery processor needs. */
export interface WebhookDeliveryDeps {
  db: Db;
  logger: Logger;
  metrics: Registry;
  /** SSRF rules (allowlist, resolver); tests may swap the resolver. */
  policy: TargetPolicy;
  /** Signing secrets: the first is current, later ones are kept during a rotation. */
  secrets: string[];
  retry: RetryPolicy;
  timeoutMs: number;
  /** Signs the outputs' presigned URLs. */
  store: ArtifactStore;
  /** GANTRY_STORAGE_PRESIGN=urls: the payload's outputs carry presigned URLs valid ttlSec; null: none. */
  presign: { ttlSec: number } | null;
}
