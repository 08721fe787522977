import type { Express } from 'express';

/** A route an Express app serves, with its path in OpenAPI form (`/api/v1/jobs/{id}`). */
export interface ServedRoute {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function joinPath(prefix: string, path: unknown, where: string): string {
  if (typeof path !== 'string') throw new Error(`served-routes: ${where} has a non-string path (${String(path)}); describe it by hand`);
  if (/[*{}()?+]/.test(path)) throw new Error(`served-routes: ${where} path "${path}" uses wildcards or optional parts; describe it by hand`);
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function walk(stack: Layer[], prefix: string, out: ServedRoute[], mounts: string[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const path = joinPath(prefix, layer.route.path, `route under "${prefix}"`).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push({ method, path });
      }
    } else if (layer.handle?.stack) {
      // A mounted router: `app.use('/x', router)` (rawPath '/' when mounted without a path).
      walk(layer.handle.stack, joinPath(prefix, layer.rawPath ?? '/', `router under "${prefix}"`), out, mounts);
    } else if (layer.rawPath !== undefined && layer.rawPath !== '/') {
      // A plain handler mounted at a path (`app.use('/x', handler)`): it may serve anything below.
      const path = joinPath(prefix, layer.rawPath, `handler under "${prefix}"`);
      if (!mounts.includes(path)) mounts.push(path);
    }
  }
}

/**
 * Every route an Express 5 app serves, found by walking its router stack (nested routers
 * included). Middleware without a route (body parsers, auth, 404) serves no route of its own.
 */
export function servedRoutes(app: Express): ServedRoute[] {
  return walkApp(app).routes;
}

/**
 * The paths where a plain handler (not a router, not a route) is mounted: middleware such as a
 * rate limit, or a handler that serves a whole subtree by itself (the dashboard). A route walk
 * cannot see what such a handler serves, so the route ↔ spec test lists each one with a reason.
 */
export function handlerMounts(app: Express): string[] {
  return walkApp(app).mounts;
}

function walkApp(app: Express): { routes: ServedRoute[]; mounts: string[] } {
  const router = (app as unknown as { router?: { stack: Layer[] } }).router;
  if (!router) throw new Error('served-routes: not an Express 5 app (no app.router)');
  const routes: ServedRoute[] = [];
  const mounts: string[] = [];
  walk(router.stack, '', routes, mounts);
  return { routes, mounts };
}
