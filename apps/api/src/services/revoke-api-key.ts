import { AppError, isUuid, type ApiKeyView } from '@gantry/domain';
import { recordAuditEvents, setApiKeyRevokedAt } from '@gantry/db';
import type { Principal } from '../auth/authenticate.js';
import type { ApiDeps } from '../context.js';
import { apiKeyView } from './api-key-view.js';
import { auditEvents, type AuditActor } from './audit.js';
import { findManagedApiKey } from './managed-api-key.js';

/**
 * Revokes a key the caller manages (its tenant's; any tenant's for operators) at once (a key in a
 * rotation grace period stops now). Audited in the same transaction, in the key's tenant's log
 * too when that is another one; then every API instance is told (its cache evicts the key and its
 * WebSockets on that key are closed). Revoking a revoked key changes nothing (idempotent).
 */
export async function revokeApiKey(deps: ApiDeps, caller: Principal, actor: AuditActor, id: string): Promise<ApiKeyView> {
  if (!isUuid(id)) throw new AppError('NOT_FOUND', 'No such API key');
  const now = new Date();
  const { key, changed } = await deps.db.$transaction(async (tx) => {
    const found = await findManagedApiKey(tx, caller, id);
    const changed = await setApiKeyRevokedAt(tx, found.tenantId, id, now);
    if (changed) {
      const target = { type: 'api_key' as const, id, tenantId: found.tenantId };
      await recordAuditEvents(tx, auditEvents(actor, 'api_key.revoked', target, { name: found.name, self: id === actor.actorKeyId }));
    }
    return { key: changed ? { ...found, revokedAt: now } : found, changed };
  });
  if (changed) await deps.keys.announceRevocation(id, now);
  return apiKeyView(key, now.getTime());
}
