/** Path segments that are values, not names: UUIDs, numbers, long hex or opaque tokens. */
const VALUE_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{16,}|.{65,})$/i;

/**
 * The route label of a matched route: the router's mount path (lower-cased) plus the route's own
 * pattern. A mount path is the URL as it matched, so a router mounted under a parameter (`/jobs/:id/...`)
 * would show the value: such segments are replaced by `:param`, so no id ever becomes a label.
 */
export function routeLabel(baseUrl: string, route: unknown): string {
  // Express matches mount paths case-insensitively and `baseUrl` keeps the request's spelling:
  // lower-cased (every mount path here is), so `/API/V1/jobs` is not a series of its own.
  const base = baseUrl
    .toLowerCase()
    .split('/')
    .map((segment) => (VALUE_SEGMENT.test(segment) ? ':param' : segment))
    .join('/');
  const raw = (route as { path?: unknown } | undefined)?.path;
  const pattern = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('|') : '(pattern)';
  if (pattern === '/' && base !== '') return base;
  return `${base}${pattern}` || '/';
}

/** Labels kept per route object: one mount path each in this app; a router mounted under a parameter would see one per value. */
const LABELS_KEPT_PER_ROUTE = 16;
const labelsByRoute = new WeakMap<object, Map<string, string>>();

/**
 * `routeLabel`, remembered per route object and mount path: the router assigns `req.route` on
 * every request, and the label of the same route below the same mount is the same string (a split,
 * a regex per segment and a join saved per request). At most LABELS_KEPT_PER_ROUTE mount paths
 * per route are kept (the oldest go first), so ids in a mount path cannot grow it.
 */
export function cachedRouteLabel(baseUrl: string, route: unknown): string {
  if (typeof route !== 'object' || route === null) return routeLabel(baseUrl, route);
  let labels = labelsByRoute.get(route);
  if (!labels) {
    labels = new Map();
    labelsByRoute.set(route, labels);
  }
  let label = labels.get(baseUrl);
  if (label === undefined) {
    label = routeLabel(baseUrl, route);
    if (labels.size >= LABELS_KEPT_PER_ROUTE) labels.delete(labels.keys().next().value!);
    labels.set(baseUrl, label);
  }
  return label;
}
