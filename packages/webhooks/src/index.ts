/**
 * @gantry/webhooks — outgoing webhooks: signing (and `verifyWebhookSignature` for receivers), the
 * SSRF rules for callback URLs, the pinned no-redirect HTTP attempt, and the retry policy. The
 * delivery records live in @gantry/db, the queue in @gantry/queue, the delivery worker in apps/worker.
 */
export * from './signature.js';
export * from './ip-address.js';
export * from './address-policy.js';
export * from './allowlist.js';
export * from './resolver.js';
export * from './target-policy.js';
export * from './post-webhook.js';
export * from './retry-policy.js';
export * from './envelope.js';
export * from './get-pinned.js';
