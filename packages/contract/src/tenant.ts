import { z } from 'zod';

/** `PATCH /api/v1/tenants/{current|name}`: settings of a tenant. */
export const updateTenantSchema = z
  .object({
    /**
     * Days this tenant's finished jobs and artifacts are kept; 0 keeps them forever; null goes back
     * to the installation default (GANTRY_RETENTION_DAYS).
     */
    retentionDays: z.number().int().min(0).max(36_500).nullable(),
  })
  .strict();

export type UpdateTenantInput = z.infer<typeof updateTenantSchema>;
