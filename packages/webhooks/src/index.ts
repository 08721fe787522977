/** Outgoing webhooks: signing, SSRF-safe delivery, retries and delivery records. */
export {};
