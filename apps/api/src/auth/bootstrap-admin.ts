import { ensureTenant, upsertApiKeyByPrefix, type Db } from '@gantry/db';
import { hashKey, lookupPrefix } from './api-key-format.js';

/**
 * Makes GANTRY_ADMIN_KEY the admin key of the default tenant. Idempotent; several API instances
 * may run it at once. Changing the variable and restarting rotates the key.
 */
export async function bootstrapAdminKey(db: Db, tenantName: string, adminKey: string): Promise<void> {
  const tenant = await ensureTenant(db, tenantName);
  await upsertApiKeyByPrefix(db, {
    tenantId: tenant.id,
    prefix: lookupPrefix(adminKey),
    hash: hashKey(adminKey),
    scopes: ['admin'],
    name: 'GANTRY_ADMIN_KEY',
  });
}
