/** Path segments that are values, not names: UUIDs, numbers, long hex or opaque tokens. */
const VALUE_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{16,}|.{65,})$/i;

/**
 * The route label of a matched route: the router's mount path plus the route's own pattern. A
 * mount path is the URL as it matched, so a router mounted under a parameter (`/jobs/:id/...`)
 * would show the value: such segments are replaced by `:param`, so no id ever becomes a label.
 */
export function routeLabel(baseUrl: string, route: unknown): string {
  const base = baseUrl
    .split('/')
    .map((segment) => (VALUE_SEGMENT.test(segment) ? ':param' : segment))
    .join('/');
  const raw = (route as { path?: unknown } | undefined)?.path;
  const pattern = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('|') : '(pattern)';
  if (pattern === '/' && base !== '') return base;
  return `${base}${pattern}` || '/';
}
