import { API_KEY_SCOPES, type ApiKeyScope } from '@gantry/contract';
import { canonicalScopes, scopesGrant } from './scopes';

describe('API key scopes', () => {
  it('resolves the legacy admin scope to operator and drops duplicates and unknown names', () => {
    expect(canonicalScopes(['admin'])).toEqual(['operator']);
    expect(canonicalScopes(['read', 'admin', 'operator', 'read'])).toEqual(['read', 'operator']);
    expect(canonicalScopes(['read', 'superuser', 'tenant-admin', 'submit', 'toString'])).toEqual(['read', 'tenant-admin', 'submit']);
    expect(canonicalScopes([])).toEqual([]);
  });

  it('grants exactly this table', () => {
    // Rows: a key holding only that scope; columns: what an operation needs.
    const table: Record<ApiKeyScope, ApiKeyScope[]> = {
      submit: ['submit'],
      read: ['read'],
      'tenant-admin': ['submit', 'read', 'tenant-admin'],
      operator: ['submit', 'read', 'tenant-admin', 'operator'],
    };
    for (const held of API_KEY_SCOPES) {
      expect({ held, grants: API_KEY_SCOPES.filter((needed) => scopesGrant([held], needed)) }).toEqual({ held, grants: table[held] });
    }
  });

  it('combines the scopes of a key', () => {
    expect(scopesGrant(['read', 'submit'], 'submit')).toBe(true);
    expect(scopesGrant(['read', 'submit'], 'tenant-admin')).toBe(false);
    expect(scopesGrant([], 'read')).toBe(false);
  });
});
