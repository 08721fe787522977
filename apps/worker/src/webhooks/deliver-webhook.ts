import { performance } from 'node:perf_hooks';
import { DelayedError, type Job as BullJob } from 'bullmq';
import {
  abandonWebhookDelivery,
  findJobById,
  findWebhookDelivery,
  listJobArtifacts,
  listJobInputs,
  recordWebhookAttempt,
  type DeliveryAttemptOutcome,
} from '@gantry/db';
import { jobView, webhookDeliveryPayloadSchema, type WebhookDeliveryPayload, type WebhookEvent } from '@gantry/domain';
import { presignedLinks } from '@gantry/storage';
import {
  WebhookTargetForbidden,
  isRetryableStatus,
  parseRetryAfter,
  postWebhook,
  retryDelayMs,
  signatureHeader,
  vetWebhookTarget,
  webhookEnvelope,
  webhookHeaders,
} from '@gantry/webhooks';
import type { WebhookDeliveryDeps } from './webhook-deps.js';
import { webhookMetrics } from './webhook-metrics.js';

export type DeliveryResult = 'delivered' | 'failed' | 'retrying' | 'skipped';

/**
 * BullMQ processor of the `webhooks` queue: one attempt of one delivery. The record decides: a
 * delivery that is no longer pending is skipped (a duplicate enqueue). The SSRF rules run again on
 * every attempt, after DNS, and the connection is pinned to the vetted address. A retryable failure
 * (network, timeout, 5xx, 429) with attempts left is recorded with its next time and the same
 * BullMQ job is delayed until then; anything else is final.
 */
export async function deliverWebhook(deps: WebhookDeliveryDeps, bullJob: BullJob<WebhookDeliveryPayload>, token?: string): Promise<DeliveryResult> {
  const { deliveryId } = webhookDeliveryPayloadSchema.parse(bullJob.data);
  const delivery = await findWebhookDelivery(deps.db, deliveryId);
  if (!delivery || delivery.status !== 'pending') return 'skipped';
  const log = deps.logger.child({ deliveryId, jobId: delivery.jobId, event: delivery.event });
  const metrics = webhookMetrics(deps.metrics);

  // Enqueued early (the sweep, or a lost delay): wait for the recorded time.
  const dueAt = delivery.nextAttemptAt?.getTime() ?? 0;
  if (dueAt > Date.now() + 1000 && token) {
    await bullJob.moveToDelayed(dueAt, token);
    throw new DelayedError();
  }

  const job = await findJobById(deps.db, delivery.jobId);
  if (!job) {
    await abandonWebhookDelivery(deps.db, deliveryId, 'the job no longer exists');
    return 'failed';
  }
  const event = delivery.event as WebhookEvent;
  const artifacts = await listJobArtifacts(deps.db, job.id);
  // Each attempt signs afresh: the URLs work ttlSec from when this attempt is sent.
  const links = await presignedLinks(deps.store, artifacts, deps.presign, {
    onError: (err) => log.warn({ err }, 'presigned URLs not signed; the webhook goes without them'),
  });
  const view = jobView(job, artifacts, { inputs: await listJobInputs(deps.db, job.id), links });
  const body = JSON.stringify(webhookEnvelope(delivery.id, event, delivery.createdAt, view));
  const attempt = delivery.attempts + 1;
  const canRetry = attempt < deps.retry.maxAttempts;

  const started = performance.now();
  let result: string;
  let outcome: DeliveryAttemptOutcome;
  try {
    const target = await vetWebhookTarget(delivery.url, deps.policy);
    const signature = signatureHeader(deps.secrets, Math.floor(Date.now() / 1000), body);
    const answer = await postWebhook({ target, body, headers: webhookHeaders(delivery.id, event, attempt, signature), timeoutMs: deps.timeoutMs });
    if (answer.kind === 'error') {
      result = answer.timedOut ? 'timeout' : 'network_error';
      outcome = retryOrFail(deps, attempt, canRetry, null, answer.error, null);
    } else {
      const code = answer.statusCode;
      result = `${Math.floor(code / 100)}xx`;
      if (code >= 200 && code < 300) outcome = { kind: 'delivered', statusCode: code };
      else {
        const error = `HTTP ${code}${answer.bodySnippet ? `: ${oneLine(answer.bodySnippet)}` : ''}`;
        outcome = isRetryableStatus(code)
          ? retryOrFail(deps, attempt, canRetry, code, error, parseRetryAfter(answer.retryAfter))
          : { kind: 'failed', statusCode: code, error: code >= 300 && code < 400 ? `${error} (redirects are not followed)` : error };
      }
    }
  } catch (err) {
    if (err instanceof WebhookTargetForbidden) {
      result = 'forbidden';
      outcome = { kind: 'failed', statusCode: null, error: `WEBHOOK_URL_FORBIDDEN: ${err.reason}` };
    } else {
      // DNS gave no answer (or another network condition before connecting): worth a retry.
      result = 'network_error';
      outcome = retryOrFail(deps, attempt, canRetry, null, err instanceof Error ? err.message : String(err), null);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  metrics.attempts.inc({ result });
  if (result !== 'forbidden') metrics.attemptDuration.observe({ result }, seconds);

  if (!(await recordWebhookAttempt(deps.db, deliveryId, outcome))) return 'skipped'; // finished elsewhere meanwhile
  const fields = { attempt, result, statusCode: 'statusCode' in outcome ? outcome.statusCode : null, ms: Math.round(seconds * 1000) };
  if (outcome.kind === 'delivered') {
    metrics.deliveries.inc({ outcome: 'delivered' });
    log.info(fields, 'webhook delivered');
    return 'delivered';
  }
  if (outcome.kind === 'failed') {
    metrics.deliveries.inc({ outcome: 'failed' });
    log.warn({ ...fields, error: outcome.error }, 'webhook delivery failed');
    return 'failed';
  }
  log.info({ ...fields, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt.toISOString() }, 'webhook attempt failed; will retry');
  if (!token) return 'retrying'; // no lock to move: the sweep enqueues it again when due
  await bullJob.moveToDelayed(outcome.nextAttemptAt.getTime(), token);
  throw new DelayedError();
}

function retryOrFail(
  deps: WebhookDeliveryDeps,
  attempt: number,
  canRetry: boolean,
  statusCode: number | null,
  error: string,
  retryAfterMs: number | null,
): DeliveryAttemptOutcome {
  if (!canRetry) return { kind: 'failed', statusCode, error: `${error} (gave up after ${attempt} attempts)` };
  const delay = retryDelayMs(deps.retry, attempt, retryAfterMs);
  return { kind: 'retry', statusCode, error, nextAttemptAt: new Date(Date.now() + delay) };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
