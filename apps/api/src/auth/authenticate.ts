import { AppError, canonicalScopes, scopesGrant, type ApiKeyScope } from '@gantry/domain';
import { keyMatches, lookupPrefix } from './api-key-format.js';
import type { KeyLookup } from './key-directory.js';

/** Who is calling: a key of one tenant with its scopes. */
export interface Principal {
  keyId: string;
  tenantId: string;
  tenantName: string;
  /** Canonical scopes: a stored legacy `admin` is `operator` here (packages/domain/src/scopes.ts). */
  scopes: ApiKeyScope[];
  /** Set for a rotated key in its grace period: when it stops working. */
  expiresAt?: Date;
}

const BEARER_RE = /^Bearer ([\x21-\x7e]{16,512})$/;

/** Resolves an `Authorization` header to a principal, or throws UNAUTHENTICATED. */
export async function authenticate(keys: KeyLookup, header: string | undefined): Promise<Principal> {
  if (!header) throw new AppError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
  const match = BEARER_RE.exec(header);
  if (!match) throw new AppError('UNAUTHENTICATED', 'The Authorization header is not a Bearer API key');
  const key = match[1]!;
  const record = await keys.find(lookupPrefix(key));
  // One message for unknown, wrong and revoked keys: nothing is learned by probing. A revocation
  // time in the future is a rotated key still in its grace period.
  if (!record || !keyMatches(key, record.hash) || (record.revokedAt && record.revokedAt.getTime() <= Date.now())) {
    throw new AppError('UNAUTHENTICATED', 'The API key is not valid');
  }
  keys.noteUse(record.id);
  return {
    keyId: record.id,
    tenantId: record.tenantId,
    tenantName: record.tenantName,
    scopes: canonicalScopes(record.scopes),
    ...(record.revokedAt ? { expiresAt: record.revokedAt } : {}),
  };
}

/** Whether the key may do what `scope` allows (`operator` implies every scope, `tenant-admin` read and submit). */
export function hasScope(principal: Principal, scope: ApiKeyScope): boolean {
  return scopesGrant(principal.scopes, scope);
}
