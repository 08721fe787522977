import { isPlainObject } from '../prompt.js';
import type { SimContext } from '../sim-context.js';
import { empty, json, type Route } from './router.js';

/** An int query parameter; a malformed one fails like Python's `int()` (500). */
function intParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new TypeError(`invalid literal for int() with base 10: '${value}'`);
  return Number.parseInt(value, 10);
}

/** `GET /history`, `GET /history/{prompt_id}`, `POST /history`. */
export function historyRoutes(ctx: SimContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/history',
      handler: (req) => json(200, ctx.history.list(intParam(req.query.get('max_items')), intParam(req.query.get('offset')) ?? -1)),
    },
    {
      method: 'GET',
      path: /^\/history\/([^/]+)$/,
      handler: (req) => {
        const entry = ctx.history.get(req.params[0]!);
        // An unknown (or still running) prompt is `{}` with 200, not a 404.
        return json(200, entry ? { [req.params[0]!]: entry } : {});
      },
    },
    {
      method: 'POST',
      path: '/history',
      handler: async (req) => {
        const body = await req.json();
        if (!isPlainObject(body)) throw new TypeError('body must be a JSON object');
        if (body.clear) ctx.history.clear();
        if (Array.isArray(body.delete)) ctx.history.delete(body.delete);
        return empty();
      },
    },
  ];
}
