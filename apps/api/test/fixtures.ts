import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '@gantry/db';

/** ComfyUI's default text-to-image workflow in API format (the gpu-sim fixture). */
export function defaultWorkflow(overrides: { steps?: number; seed?: number; width?: number; height?: number } = {}) {
  const wf = JSON.parse(
    readFileSync(path.join(__dirname, '../../gpu-sim/fixtures/default-workflow.json'), 'utf8'),
  ) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  const sampler = Object.values(wf).find((n) => n.class_type === 'KSampler')!;
  const latent = Object.values(wf).find((n) => n.class_type === 'EmptyLatentImage')!;
  if (overrides.steps !== undefined) sampler.inputs.steps = overrides.steps;
  if (overrides.seed !== undefined) sampler.inputs.seed = overrides.seed;
  if (overrides.width !== undefined) latent.inputs.width = overrides.width;
  if (overrides.height !== undefined) latent.inputs.height = overrides.height;
  return wf;
}

/**
 * A key row as an earlier version wrote it (scopes stored as given, e.g. the legacy `admin`),
 * straight into the database of an existing tenant. Returns its id and secret.
 */
export async function insertStoredKey(db: Db, tenant: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const prefix = randomBytes(9).toString('hex').slice(0, 12);
  const key = `gty_${prefix}_${randomBytes(32).toString('base64url')}`;
  const { id: tenantId } = await db.tenant.findUniqueOrThrow({ where: { name: tenant }, select: { id: true } });
  const hash = createHash('sha256').update(key).digest('hex');
  const row = await db.apiKey.create({ data: { tenantId, prefix, hash, scopes, name: 'stored' }, select: { id: true } });
  return { id: row.id, key };
}
