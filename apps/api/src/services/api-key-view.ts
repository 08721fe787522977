import { canonicalScopes, type ApiKeyView } from '@gantry/domain';
import type { ApiKeySummary } from '@gantry/db';

/** A key as admins see it: never the secret, nor its hash; scopes by their current names. */
export function apiKeyView(key: ApiKeySummary, now = Date.now()): ApiKeyView {
  const revoked = key.revokedAt?.getTime();
  return {
    id: key.id,
    tenant: key.tenantName,
    name: key.name,
    scopes: canonicalScopes(key.scopes),
    status: revoked === undefined ? 'active' : revoked > now ? 'expiring' : 'revoked',
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
