import { z } from 'zod';

/** Administrative actions recorded in the audit log (`AuditEvent.action`). Part of the public API. */
export const AUDIT_ACTIONS = [
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'backend.created',
  'backend.drained',
  'backend.undrained',
  'backend.deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an audit event is about. */
export type AuditTargetType = 'api_key' | 'backend';

/** Query of `GET /api/v1/audit-events`. */
export const listAuditEventsQuerySchema = z
  .object({
    action: z.enum(AUDIT_ACTIONS).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListAuditEventsQuery = z.infer<typeof listAuditEventsQuerySchema>;

/** One audit event, as the API returns it. */
export interface AuditEventView {
  id: string;
  action: AuditAction;
  target: { type: AuditTargetType; id: string };
  /** The API key that acted (null: the system, e.g. a changed GANTRY_ADMIN_KEY at start). */
  actorKeyId: string | null;
  details: Record<string, unknown> | null;
  requestId: string | null;
  ip: string | null;
  createdAt: string;
}

/** Query of `GET /api/v1/api-keys`. */
export const listApiKeysQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
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

/** An API key as `GET /api/v1/api-keys` lists it: never its secret nor its hash. */
export interface ApiKeyView {
  id: string;
  tenant: string;
  name: string | null;
  scopes: string[];
  /** `active`; `expiring` (rotated, still valid until `revokedAt`); `revoked`. */
  status: 'active' | 'expiring' | 'revoked';
  createdAt: string;
  lastUsedAt: string | null;
  /** When the key stopped (or, for `expiring`, will stop) working. */
  revokedAt: string | null;
}
