import { ShutdownError } from '../execution/errors.js';
import { json, type Route, type SimRequest, type SimResponse } from '../http/router.js';
import type { SimContext } from '../sim-context.js';
import { checkpointsFor } from './checkpoints.js';
import { fileRoute } from './file-route.js';
import type { ListeningHub } from './listening-hub.js';
import { MemoryStats } from './memory.js';
import { lorasResponse, sdVaeResponse, upscalersResponse } from './model-lists.js';
import { WebuiOptions } from './options.js';
import { progressResponse, taskProgress, TASK_PROGRESS_FIELDS } from './progress.js';
import { bodyError, coerce, validateModel } from './pydantic.js';
import { errorResponse, validationResponse } from './responses.js';
import { SAMPLERS, SCHEDULERS } from './samplers.js';
import { SharedState } from './shared-state.js';
import { txt2img, type A1111Server } from './txt2img.js';
import { img2img } from './img2img.js';

/** What the A1111 API needs from the server that hosts it besides the ComfyUI context. */
export interface A1111Wiring {
  /** The sim's hub (a ListeningHub, so A1111 jobs can follow their prompts). */
  hub: ListeningHub;
  /** Aborted when the sim closes: requests still waiting for the GPU give up. */
  shutdown: AbortSignal;
}

/**
 * A handler whose exceptions become A1111's `{error, detail, body, errors}` replies. When the sim
 * closes under a waiting request, no reply is written: the connection is cut, as a stopped A1111's is.
 */
function a1111(handler: (req: SimRequest) => SimResponse | Promise<SimResponse>): Route['handler'] {
  return async (req) => {
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof ShutdownError) return new Promise<never>(() => undefined);
      return errorResponse(err);
    }
  };
}

/** A JSON body, or FastAPI's 422 for one that is missing or malformed. */
async function body(req: SimRequest): Promise<{ ok: true; value: unknown } | { ok: false; reply: SimResponse }> {
  try {
    return { ok: true, value: await req.json() };
  } catch (err) {
    return { ok: false, reply: validationResponse(bodyError(err)) };
  }
}

/**
 * The AUTOMATIC1111/Forge API (`modules/api/api.py`, v1.10) on the sim's server: `txt2img`,
 * `progress`, `interrupt`, `sd-models`, `loras`, `sd-vae`, `upscalers`, `options`, `memory`, `samplers`, `schedulers`, the
 * task-aware `POST /internal/progress`, and the web UI’s `GET /file=` (how saved images are read
 * back). Its jobs run on the same GPU queue as ComfyUI prompts.
 */
export function a1111Routes(ctx: SimContext, wiring: A1111Wiring): Route[] {
  const checkpoints = checkpointsFor(ctx.models);
  const memory = new MemoryStats(ctx.gpu);
  wiring.hub.observe((type, data) => memory.observe(type, data));
  const server: A1111Server = { ctx, hub: wiring.hub, shutdown: wiring.shutdown, state: new SharedState(), checkpoints, options: new WebuiOptions(checkpoints), memory };
  const { state } = server;
  return [
    {
      method: 'POST',
      path: '/sdapi/v1/txt2img',
      handler: a1111(async (req) => {
        const parsed = await body(req);
        return parsed.ok ? txt2img(server, parsed.value) : parsed.reply;
      }),
    },
    {
      method: 'POST',
      path: '/sdapi/v1/img2img',
      handler: a1111(async (req) => {
        const parsed = await body(req);
        return parsed.ok ? img2img(server, parsed.value) : parsed.reply;
      }),
    },
    {
      method: 'GET',
      path: '/sdapi/v1/progress',
      handler: a1111((req) => {
        const raw = req.query.get('skip_current_image');
        const skip = raw === null ? ({ ok: true, value: false } as const) : coerce('bool', raw, ['query', 'skip_current_image']);
        return skip.ok ? json(200, progressResponse(state, skip.value === true)) : validationResponse(skip.detail);
      }),
    },
    {
      method: 'POST',
      path: '/sdapi/v1/interrupt',
      handler: a1111(() => {
        // Global, like A1111's: the flag is set even when idle, and reset when the next job begins.
        state.interrupt();
        if (state.runningPromptId !== null) ctx.worker.interrupt(state.runningPromptId);
        return json(200, {});
      }),
    },
    {
      method: 'GET',
      path: '/sdapi/v1/sd-models',
      handler: a1111(() => json(200, checkpoints.map(({ comfyName: _comfyName, ...item }) => item))),
    },
    { method: 'GET', path: '/sdapi/v1/loras', handler: a1111(() => json(200, lorasResponse(ctx.modelFiles))) },
    { method: 'GET', path: '/sdapi/v1/sd-vae', handler: a1111(() => json(200, sdVaeResponse(ctx.modelFiles))) },
    { method: 'GET', path: '/sdapi/v1/upscalers', handler: a1111(() => json(200, upscalersResponse(ctx.modelFiles))) },
    { method: 'GET', path: '/sdapi/v1/options', handler: a1111(() => json(200, server.options.all())) },
    {
      method: 'POST',
      path: '/sdapi/v1/options',
      handler: a1111(async (req) => {
        const parsed = await body(req);
        if (!parsed.ok) return parsed.reply;
        const checked = validateModel(parsed.value, {});
        if (!checked.ok) return validationResponse(checked.detail);
        server.options.set(parsed.value as Record<string, unknown>);
        return json(200, null);
      }),
    },
    { method: 'GET', path: '/sdapi/v1/memory', handler: a1111(() => json(200, memory.response())) },
    { method: 'GET', path: '/sdapi/v1/samplers', handler: a1111(() => json(200, SAMPLERS.map(({ name, aliases, options }) => ({ name, aliases, options })))) },
    { method: 'GET', path: '/sdapi/v1/schedulers', handler: a1111(() => json(200, SCHEDULERS.map(({ comfy: _comfy, ...item }) => item))) },
    {
      method: 'POST',
      path: '/internal/progress',
      handler: a1111(async (req) => {
        const parsed = await body(req);
        if (!parsed.ok) return parsed.reply;
        const checked = validateModel(parsed.value, TASK_PROGRESS_FIELDS);
        return checked.ok ? json(200, taskProgress(state, checked.value)) : validationResponse(checked.detail);
      }),
    },
    fileRoute(ctx.dirs.root),
  ];
}
