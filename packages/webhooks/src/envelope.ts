import type { JobView, WebhookEvent } from '@gantry/domain';

/** The body of every webhook: which delivery, what happened, and the job as the API shows it. */
export interface WebhookEnvelope {
  /** The delivery id (also in the `Gantry-Webhook-Id` header): the same on every retry. */
  id: string;
  type: WebhookEvent;
  /** When the event happened (the delivery was recorded with the job's terminal transition). */
  createdAt: string;
  data: { job: JobView };
}

export function webhookEnvelope(deliveryId: string, type: WebhookEvent, createdAt: Date, job: JobView): WebhookEnvelope {
  return { id: deliveryId, type, createdAt: createdAt.toISOString(), data: { job } };
}

/** Headers of one attempt. `signature` is the `Gantry-Signature` value for this attempt's body. */
export function webhookHeaders(deliveryId: string, type: WebhookEvent, attempt: number, signature: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Gantry-Webhooks/1',
    'Gantry-Webhook-Id': deliveryId,
    'Gantry-Webhook-Event': type,
    'Gantry-Webhook-Attempt': String(attempt),
    'Gantry-Signature': signature,
  };
}
