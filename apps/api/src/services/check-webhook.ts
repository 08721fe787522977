import { AppError, WEBHOOK_EVENTS, type JobWebhook, type WebhookEvent } from '@gantry/domain';
import { WebhookHostUnresolved, WebhookTargetForbidden, vetWebhookTarget, type TargetPolicy } from '@gantry/webhooks';

/**
 * Applies the SSRF rules to a submitted webhook (after DNS) and returns what to store. A refused
 * URL is 422 WEBHOOK_URL_FORBIDDEN; a name that does not exist is refused too; a DNS failure that
 * may pass (timeout, server failure) is 503. Delivery checks again, pinned to the vetted address.
 */
export async function checkWebhook(policy: TargetPolicy, webhook: JobWebhook): Promise<{ url: string; events: WebhookEvent[] }> {
  try {
    await vetWebhookTarget(webhook.url, policy);
  } catch (err) {
    if (err instanceof WebhookTargetForbidden) {
      throw new AppError('WEBHOOK_URL_FORBIDDEN', `The webhook URL is not allowed: ${err.reason}`, {
        details: [{ path: 'webhook.url', message: err.reason, code: 'forbidden' }],
      });
    }
    if (err instanceof WebhookHostUnresolved) {
      const code = (err.cause as { code?: unknown } | null)?.code;
      if (code === 'ENOTFOUND' || code === 'ENODATA' || code === undefined) {
        throw new AppError('WEBHOOK_URL_FORBIDDEN', `The webhook URL is not allowed: ${err.message}`, {
          details: [{ path: 'webhook.url', message: err.message, code: 'unresolvable' }],
        });
      }
      throw new AppError('SERVICE_UNAVAILABLE', 'The webhook host could not be resolved right now; retry later', { cause: err });
    }
    throw err;
  }
  const wanted = new Set(webhook.events ?? WEBHOOK_EVENTS);
  return { url: webhook.url, events: WEBHOOK_EVENTS.filter((e) => wanted.has(e)) };
}
