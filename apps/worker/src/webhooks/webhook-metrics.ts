import { Counter, Histogram, metricSet } from '@gantry/metrics';

/** Webhook delivery metrics of one worker (documented in docs/webhooks.md). */
export const webhookMetrics = metricSet((registry) => ({
  deliveries: new Counter({
    name: 'gantry_webhook_deliveries_total',
    help: 'Webhook deliveries that reached a final state, by outcome (delivered, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  attempts: new Counter({
    name: 'gantry_webhook_attempts_total',
    help: 'Webhook delivery attempts, by result (2xx, 3xx, 4xx, 5xx, timeout, network_error, forbidden)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  attemptDuration: new Histogram({
    name: 'gantry_webhook_attempt_duration_seconds',
    help: 'Duration of webhook HTTP attempts (DNS check, connect, send, response), by result',
    labelNames: ['result'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  sweepEnqueued: new Counter({
    name: 'gantry_webhook_sweep_enqueued_total',
    help: 'Pending webhook deliveries the sweep put (back) on the webhooks queue',
    registers: [registry],
  }),
}));
