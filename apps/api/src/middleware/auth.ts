import type { Request, RequestHandler } from 'express';
import { AppError, type ApiKeyScope } from '@gantry/domain';
import { authenticate, hasScope, type Principal } from '../auth/authenticate.js';
import type { KeyLookup } from '../auth/key-directory.js';
import { logBindings } from './request-log.js';

declare module 'http' {
  interface IncomingMessage {
    principal?: Principal;
    /** Why the key sent could not be used (kept for requireApiKey; the request is limited per IP). */
    authFailure?: AppError;
  }
}

function attach(req: Request, principal: Principal): void {
  req.principal = principal;
  logBindings(req, { tenant: principal.tenantName, keyId: principal.keyId });
}

/**
 * Resolves the caller's key when one is sent, without failing: rate limits charge a valid key's
 * quota and everything else per IP. `requireApiKey` turns a missing or bad key into a 401.
 */
export async function identifyCaller(keys: KeyLookup, req: Request): Promise<void> {
  if (req.principal || req.authFailure || req.headers.authorization === undefined) return;
  try {
    attach(req, await authenticate(keys, req.headers.authorization));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    req.authFailure = err;
  }
}

/** Authenticates every request of the router it is mounted on. */
export function requireApiKey(keys: KeyLookup): RequestHandler {
  return async (req, _res, next) => {
    await identifyCaller(keys, req);
    if (!req.principal) throw req.authFailure ?? new AppError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
    next();
  };
}

/** Checks a scope on an authenticated request. */
export function requireScope(scope: ApiKeyScope): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal || !hasScope(req.principal, scope)) {
      throw new AppError('FORBIDDEN', `This API key lacks the "${scope}" scope`, { details: { requiredScope: scope } });
    }
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'Not authenticated');
  return req.principal;
}
