/**
 * API key scopes (docs/security.md, "Which key to hand to whom").
 *
 * - `read`, `submit`: a client of one tenant (watch jobs; submit, cancel and retry them).
 * - `tenant-admin`: a tenant's administrator: its keys, settings and audit log, plus `read` and
 *   `submit`. It never sees or acts on another tenant, nor on the shared fleet.
 * - `operator`: whoever runs the installation: the GPU fleet, every tenant's settings, keys and
 *   audit log, keys of any scope for any tenant. It implies every other scope. Jobs stay
 *   tenant-private even to operators: job routes answer for the key's own tenant only.
 */
export const API_KEY_SCOPES = ['submit', 'read', 'tenant-admin', 'operator'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Scope names of earlier versions, still accepted on input and in stored keys: `admin` was the only
 * administrative scope and acted on every tenant, so existing `admin` keys are operator keys.
 * Responses only ever name the canonical scope.
 */
export const LEGACY_SCOPE_ALIASES = { admin: 'operator' } as const satisfies Record<string, ApiKeyScope>;

/** What `POST /api-keys` accepts in `scopes`: the scopes and their legacy aliases. */
export const API_KEY_SCOPE_INPUTS = [...API_KEY_SCOPES, ...(Object.keys(LEGACY_SCOPE_ALIASES) as (keyof typeof LEGACY_SCOPE_ALIASES)[])] as const;
export type ApiKeyScopeInput = (typeof API_KEY_SCOPE_INPUTS)[number];
