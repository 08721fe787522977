import { API_KEY_SCOPES, LEGACY_SCOPE_ALIASES, type ApiKeyScope } from '@gantry/contract';

/** The scopes each scope grants (itself included). */
const GRANTS: Record<ApiKeyScope, readonly ApiKeyScope[]> = {
  submit: ['submit'],
  read: ['read'],
  'tenant-admin': ['tenant-admin', 'read', 'submit'],
  operator: API_KEY_SCOPES,
};

function isScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/**
 * The canonical scopes of a stored or requested list, in their order: aliases resolved, duplicates
 * and unknown names dropped (a name a later version added is ignored by this one rather than
 * failing every request of that key).
 */
export function canonicalScopes(scopes: readonly string[]): ApiKeyScope[] {
  const named = new Set<ApiKeyScope>();
  for (const scope of scopes) {
    const canonical = Object.hasOwn(LEGACY_SCOPE_ALIASES, scope) ? LEGACY_SCOPE_ALIASES[scope as keyof typeof LEGACY_SCOPE_ALIASES] : scope;
    if (isScope(canonical)) named.add(canonical);
  }
  return [...named];
}

/** Whether a key holding `held` (canonical) may do what `needed` allows. */
export function scopesGrant(held: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  return held.some((scope) => GRANTS[scope].includes(needed));
}
