import { randomUUID } from 'node:crypto';
import { isPlainObject, type ExtraData } from '../prompt.js';
import { toTuple } from '../queue/prompt-queue.js';
import type { SimContext } from '../sim-context.js';
import { validatePrompt } from '../validation/validate-prompt.js';
import { pyStr } from '../validation/py-values.js';
import { empty, json, type Route, type SimRequest } from './router.js';

/** A body that is not a JSON object fails inside ComfyUI's handler (500); so it does here. */
async function objectBody(req: SimRequest): Promise<Record<string, unknown>> {
  const body = await req.json();
  if (!isPlainObject(body)) throw new TypeError('body must be a JSON object');
  return body;
}

/** Like `/interrupt`, a missing or non-JSON body counts as `{}`. */
async function optionalBody(req: SimRequest): Promise<Record<string, unknown>> {
  const body = await req.json().catch(() => ({}));
  return isPlainObject(body) ? body : {};
}

/** `POST /prompt`, `GET /prompt`, `GET|POST /queue`, `POST /interrupt`, `POST /free` (server.py, 2025-10). */
export function promptRoutes(ctx: SimContext): Route[] {
  const queueInfo = () => ({ exec_info: { queue_remaining: ctx.queue.remaining() } });
  return [
    { method: 'GET', path: '/prompt', handler: () => json(200, queueInfo()) },
    { method: 'POST', path: '/prompt', handler: async (req) => submitPrompt(ctx, await objectBody(req)) },
    {
      method: 'GET',
      path: '/queue',
      handler: () => json(200, { queue_running: ctx.queue.runningItems().map(toTuple), queue_pending: ctx.queue.pendingItems().map(toTuple) }),
    },
    {
      method: 'POST',
      path: '/queue',
      handler: async (req) => {
        const body = await objectBody(req);
        if (body.clear) ctx.queue.clear();
        if (Array.isArray(body.delete)) ctx.queue.delete(body.delete);
        return empty();
      },
    },
    {
      method: 'POST',
      path: '/interrupt',
      handler: async (req) => {
        const { prompt_id: id } = await optionalBody(req);
        // A falsy prompt_id means a global interrupt; one that matches nothing running is a no-op.
        if (!id) ctx.worker.interrupt();
        else if (typeof id === 'string') ctx.worker.interrupt(id);
        return empty();
      },
    },
    {
      method: 'POST',
      path: '/free',
      handler: async (req) => {
        const body = await objectBody(req);
        // ComfyUI applies these between prompts; the sim's state is only read between nodes, so now is fine.
        if (body.unload_models === true || body.free_memory === true) ctx.gpu.unloadAll();
        if (body.free_memory === true) ctx.cache.clear();
        return empty();
      },
    },
  ];
}

/** The body of ComfyUI's `post_prompt`: priority, validation, then queue or 400. */
function submitPrompt(ctx: SimContext, body: Record<string, unknown>) {
  let number: number;
  if ('number' in body) {
    number = Number(body.number);
    if (body.number === null || body.number === '' || Number.isNaN(number)) throw new TypeError('number must be a number');
  } else {
    // The counter advances even when validation then fails, as in ComfyUI.
    number = body.front ? -ctx.counter.number : ctx.counter.number;
    ctx.counter.number += 1;
  }
  if (!('prompt' in body)) {
    const error = { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} };
    return json(400, { error, node_errors: {} });
  }
  if (crashesOn(ctx, body.prompt)) throw new RuntimeFault('prompt validation crashed (gpu-sim crashPromptPrefix fault)');
  // str(json_data.get("prompt_id", uuid4())): any value is accepted, null becomes "None".
  const promptId = 'prompt_id' in body ? pyStr(body.prompt_id) : randomUUID();
  blockWhileValidating(ctx, body.prompt);
  const result = validatePrompt(body.prompt, ctx.types, body.partial_execution_targets);
  if (!result.ok) return json(400, { error: result.error, node_errors: result.nodeErrors });
  const extraData: ExtraData = isPlainObject(body.extra_data) ? { ...body.extra_data } : {};
  if ('client_id' in body) extraData.client_id = body.client_id;
  ctx.queue.put({ number, promptId, prompt: result.prompt, extraData, outputs: result.outputs });
  ctx.worker.notify();
  return json(200, { prompt_id: promptId, number, node_errors: result.nodeErrors });
}

/** The `validateMsPerNode` fault: busy for that long per node, blocking the event loop on purpose. */
function blockWhileValidating(ctx: SimContext, prompt: unknown): void {
  const perNode = ctx.faults.get().validateMsPerNode;
  if (!perNode || !isPlainObject(prompt)) return;
  const until = performance.now() + perNode * Object.keys(prompt).length;
  while (performance.now() < until) {
    // spin: a synchronous validation holds the event loop
  }
}

/** An exception inside ComfyUI's prompt handler: aiohttp answers 500. */
class RuntimeFault extends Error {}

/** Whether the `crashPromptPrefix` fault hits this prompt (a SaveImage prefix starting with it). */
function crashesOn(ctx: SimContext, prompt: unknown): boolean {
  const prefix = ctx.faults.get().crashPromptPrefix;
  if (!prefix || !isPlainObject(prompt)) return false;
  return Object.values(prompt).some(
    (node) => isPlainObject(node) && isPlainObject(node.inputs) && typeof node.inputs.filename_prefix === 'string' && node.inputs.filename_prefix.startsWith(prefix),
  );
}
