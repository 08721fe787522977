import { z } from 'zod';
import { queryInt } from './query-int.js';
import { storableText } from './storable.js';

/** Administrative actions recorded in the audit log (`AuditEvent.action`). Part of the public API. */
export const AUDIT_ACTIONS = [
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'backend.created',
  'backend.drained',
  'backend.undrained',
  'backend.deleted',
  'tenant.updated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an audit event is about. */
export const AUDIT_TARGET_TYPES = ['api_key', 'backend', 'tenant'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Query of `GET /api/v1/audit-events`. */
export const listAuditEventsQuerySchema = z
  .object({
    action: z.enum(AUDIT_ACTIONS).optional(),
    tenant: storableText()
      .max(63)
      .optional()
      .meta({ description: 'Another tenant by name (operator keys only; `current` or absent: the caller\'s tenant)' }),
    limit: queryInt(1, 200, 50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListAuditEventsQuery = z.infer<typeof listAuditEventsQuerySchema>;

/** Query of `GET /api/v1/api-keys`. */
export const listApiKeysQuerySchema = z
  .object({
    tenant: storableText()
      .max(63)
      .optional()
      .meta({ description: 'Another tenant by name (operator keys only; `current` or absent: the caller\'s tenant)' }),
    limit: queryInt(1, 200, 50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListApiKeysQuery = z.infer<typeof listApiKeysQuerySchema>;

/** Longest grace period of a rotated key (one day). */
export const MAX_ROTATION_GRACE_SECONDS = 86_400;

/** Body of `POST /api/v1/api-keys/{id}/rotate` (optional). */
export const rotateApiKeySchema = z
  .object({
    /** How long the old secret keeps working (0: it stops at once). */
    graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(0),
  })
  .strict();
export type RotateApiKeyInput = z.infer<typeof rotateApiKeySchema>;
