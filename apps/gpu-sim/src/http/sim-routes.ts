import { faultConfigSchema } from '../faults.js';
import type { SimContext } from '../sim-context.js';
import { empty, json, type Route } from './router.js';

/**
 * Sim-only controls, for a sim running in another process (benchmarks, e2e): not part of
 * ComfyUI. `GET /gpu-sim/faults`, `POST /gpu-sim/faults` (merge; `{"clear": true}` first clears
 * everything), `POST /gpu-sim/drop-sockets`, `GET /gpu-sim/executions[?marker=]` (prompts that
 * ran to success, with their SaveImage prefixes: how a test counts executions per job).
 */
export function simRoutes(ctx: SimContext): Route[] {
  return [
    { method: 'GET', path: '/gpu-sim/faults', handler: () => json(200, ctx.faults.get()) },
    {
      method: 'POST',
      path: '/gpu-sim/faults',
      handler: async (req) => {
        const body = (await req.json()) as Record<string, unknown> | null;
        const { clear, ...patch } = body ?? {};
        const parsed = faultConfigSchema.safeParse(patch);
        if (!parsed.success) return json(400, { error: 'invalid faults', issues: parsed.error.issues });
        if (clear === true) ctx.faults.clear();
        ctx.faults.set(parsed.data);
        return json(200, ctx.faults.get());
      },
    },
    {
      method: 'GET',
      path: '/gpu-sim/executions',
      handler: (req) => json(200, { executions: ctx.executions.list(req.query.get('marker') ?? undefined) }),
    },
    {
      method: 'POST',
      path: '/gpu-sim/drop-sockets',
      handler: () => {
        ctx.hub.dropAll();
        return empty();
      },
    },
  ];
}
