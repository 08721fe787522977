import { AppError, canonicalScopes, isUuid, type RotateApiKeyInput, type RotatedApiKey } from '@gantry/domain';
import { insertApiKey, recordAuditEvents, setApiKeyRevokedAt } from '@gantry/db';
import { generateApiKey } from '../auth/api-key-format.js';
import type { Principal } from '../auth/authenticate.js';
import { BOOTSTRAP_KEY_NAME } from '../auth/bootstrap-admin.js';
import type { ApiDeps } from '../context.js';
import { apiKeyView } from './api-key-view.js';
import { auditEvents, type AuditActor } from './audit.js';
import { findManagedApiKey } from './managed-api-key.js';

/**
 * Replaces a key the caller manages (see findManagedApiKey) with a new one of the same tenant,
 * scopes (a legacy `admin` becomes `operator`) and name. The old secret stops working
 * at once, or after `graceSeconds` (so clients can switch over). One transaction: new key, old
 * key's revocation time, audit event. Every instance is told; sockets on the old key are closed
 * when it stops working.
 */
export async function rotateApiKey(deps: ApiDeps, caller: Principal, actor: AuditActor, id: string, input: RotateApiKeyInput): Promise<RotatedApiKey> {
  if (!isUuid(id)) throw new AppError('NOT_FOUND', 'No such API key');
  const now = Date.now();
  const stopsAt = new Date(now + input.graceSeconds * 1000);
  const generated = generateApiKey();
  const result = await deps.db.$transaction(async (tx) => {
    const old = await findManagedApiKey(tx, caller, id);
    if (old.name === BOOTSTRAP_KEY_NAME) {
      throw new AppError('INVALID_STATE', 'The key from GANTRY_ADMIN_KEY is rotated by setting a new value and restarting');
    }
    if (old.revokedAt !== null || !(await setApiKeyRevokedAt(tx, old.tenantId, id, stopsAt))) {
      throw new AppError('INVALID_STATE', 'This API key is revoked or already rotated');
    }
    const scopes = canonicalScopes(old.scopes);
    const row = await insertApiKey(tx, { tenantId: old.tenantId, prefix: generated.prefix, hash: generated.hash, scopes, name: old.name });
    const target = { type: 'api_key' as const, id, tenantId: old.tenantId };
    await recordAuditEvents(
      tx,
      auditEvents(actor, 'api_key.rotated', target, { newKeyId: row.id, graceSeconds: input.graceSeconds, oldKeyStopsAt: stopsAt.toISOString() }),
    );
    return { old: { ...old, revokedAt: stopsAt }, row, scopes };
  });
  await deps.keys.announceRevocation(id, stopsAt);
  return {
    id: result.row.id,
    key: generated.key,
    tenant: result.old.tenantName,
    scopes: result.scopes,
    name: result.old.name,
    createdAt: result.row.createdAt.toISOString(),
    replaced: apiKeyView(result.old, now),
  };
}
