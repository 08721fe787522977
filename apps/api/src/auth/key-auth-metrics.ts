import { Counter, metricSet } from '@gantry/metrics';

/** API key lookups (docs/security.md#metrics). */
export const keyAuthMetrics = metricSet((registry) => ({
  lookups: new Counter({
    name: 'gantry_auth_key_lookups_total',
    help: 'API key lookups by the per-instance cache: hit (served from memory), unknown_hit (a key remembered as unknown) or miss (read from PostgreSQL)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  revocations: new Counter({
    name: 'gantry_auth_key_revocations_received_total',
    help: 'Key revocation notices received over Redis pub/sub (each evicts the key from this instance\'s cache)',
    registers: [registry],
  }),
}));
