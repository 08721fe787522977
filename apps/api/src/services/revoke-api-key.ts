import { AppError, isUuid, type ApiKeyView } from '@gantry/domain';
import { findTenantApiKey, recordAuditEvents, setApiKeyRevokedAt } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { apiKeyView } from './api-key-view.js';
import { auditEvents, type AuditActor } from './audit.js';

/**
 * Revokes a key of the caller's tenant at once (a key in a rotation grace period stops now).
 * Audited in the same transaction; then every API instance is told (its cache evicts the key and
 * its WebSockets on that key are closed). Revoking a revoked key changes nothing (idempotent).
 */
export async function revokeApiKey(deps: ApiDeps, actor: AuditActor, id: string): Promise<ApiKeyView> {
  if (!isUuid(id)) throw new AppError('NOT_FOUND', 'No such API key');
  const now = new Date();
  const { key, changed } = await deps.db.$transaction(async (tx) => {
    const changed = await setApiKeyRevokedAt(tx, actor.tenantId, id, now);
    const key = await findTenantApiKey(tx, actor.tenantId, id);
    if (!key) throw new AppError('NOT_FOUND', 'No such API key');
    if (changed) {
      await recordAuditEvents(tx, auditEvents(actor, 'api_key.revoked', { type: 'api_key', id }, { name: key.name, self: id === actor.actorKeyId }));
    }
    return { key, changed };
  });
  if (changed) await deps.keys.announceRevocation(id, now);
  return apiKeyView(key, now.getTime());
}
