import { z } from 'zod';
import { storableText } from './storable.js';

/** Backend ids as GANTRY_BACKENDS allows them; anything else in a path is simply not found. */
export const BACKEND_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const backendKindSchema = z.enum(['comfyui', 'a1111']);

/** One GPU backend as an operator declares it: an entry of GANTRY_BACKENDS, the body of `POST /api/v1/backends`. */
export const backendConfigSchema = z
  .object({
    id: storableText().regex(BACKEND_ID_RE, 'letters, digits, . _ -; at most 64'),
    kind: backendKindSchema.default('comfyui'),
    url: storableText().url().refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
    capacity: z.number().int().min(1).max(64).default(1),
    tags: z.array(storableText().min(1).max(64)).max(32).default([]),
  })
  .strict();

export type BackendConfig = z.infer<typeof backendConfigSchema>;
/** What a client sends to `POST /api/v1/backends` (before defaults). */
export type RegisterBackendRequest = z.input<typeof backendConfigSchema>;

/** Query of `DELETE /api/v1/backends/{id}`. */
export const deleteBackendQuerySchema = z
  .object({
    /** Delete even while jobs run on it (they finish or fail; their slots expire). */
    force: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  })
  .strict();
