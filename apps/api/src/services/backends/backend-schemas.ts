import { z } from 'zod';
import { backendConfigSchema } from '@gantry/fleet';

/** Body of `POST /api/v1/backends`: the same shape as an entry of GANTRY_BACKENDS. */
export const createBackendSchema = backendConfigSchema;
export type CreateBackendInput = z.infer<typeof createBackendSchema>;

/** Query of `DELETE /api/v1/backends/{id}`. */
export const deleteBackendQuerySchema = z
  .object({
    /** Delete even while jobs run on it (they finish or fail; their slots expire). */
    force: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  })
  .strict();

/** Backend ids as GANTRY_BACKENDS allows them; anything else in a path is simply not found. */
export const BACKEND_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
