import type { Request, RequestHandler } from 'express';
import { AppError, type ApiKeyScope } from '@gantry/domain';
import type { Db } from '@gantry/db';
import { authenticate, hasScope, type Principal } from '../auth/authenticate.js';

declare module 'http' {
  interface IncomingMessage {
    principal?: Principal;
  }
}

/** Authenticates every request of the router it is mounted on. */
export function requireApiKey(db: Db): RequestHandler {
  return async (req, _res, next) => {
    req.principal = await authenticate(db, req.headers.authorization);
    req.log = req.log.child({ tenant: req.principal.tenantName, keyId: req.principal.keyId });
    next();
  };
}

/** Checks a scope on an authenticated request. */
export function requireScope(scope: ApiKeyScope): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal || !hasScope(req.principal, scope)) {
      throw new AppError('FORBIDDEN', `This API key lacks the "${scope}" scope`);
    }
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'Not authenticated');
  return req.principal;
}
