import { ensureTenant, recordAuditEvents, revokeOtherNamedKeys, upsertApiKeyByPrefix } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { hashKey, lookupPrefix } from './api-key-format.js';

/** Name of the key installed from GANTRY_ADMIN_KEY (reserved: API-created keys cannot take it). */
export const BOOTSTRAP_KEY_NAME = 'GANTRY_ADMIN_KEY';

/**
 * Makes GANTRY_ADMIN_KEY an operator key, kept in the default tenant (its jobs and audit log). Idempotent; several API instances
 * may run it at once. A changed value rotates the key: the previous one is revoked (audited as a
 * system action, announced to every instance). A key revoked through the API stays revoked until
 * the variable is set to a new value.
 */
export async function bootstrapAdminKey(deps: ApiDeps, tenantName: string, adminKey: string): Promise<void> {
  const { db, logger } = deps;
  const tenant = await ensureTenant(db, tenantName);
  const now = new Date();
  const { key, revokedIds } = await db.$transaction(async (tx) => {
    const key = await upsertApiKeyByPrefix(tx, {
      tenantId: tenant.id,
      prefix: lookupPrefix(adminKey),
      hash: hashKey(adminKey),
      scopes: ['operator'],
      name: BOOTSTRAP_KEY_NAME,
    });
    const revokedIds = await revokeOtherNamedKeys(tx, tenant.id, BOOTSTRAP_KEY_NAME, key.id, now);
    await recordAuditEvents(
      tx,
      revokedIds.map((id) => ({
        tenantId: tenant.id,
        actorKeyId: null,
        action: 'api_key.revoked',
        targetType: 'api_key',
        targetId: id,
        details: { reason: 'GANTRY_ADMIN_KEY changed' },
      })),
    );
    return { key, revokedIds };
  });
  for (const id of revokedIds) await deps.keys.announceRevocation(id, now);
  if (key.revokedAt && key.revokedAt.getTime() <= now.getTime()) {
    logger.warn({ tenant: tenantName, apiKeyId: key.id }, 'GANTRY_ADMIN_KEY was revoked through the API and stays revoked: set a new value');
  } else {
    logger.info({ tenant: tenantName, apiKeyId: key.id, revokedPrevious: revokedIds.length }, 'operator key installed (GANTRY_ADMIN_KEY)');
  }
}
