import { isLink, type Prompt } from '../prompt.js';
import type { HistoryEntry } from '../queue/history-store.js';
import type { QueueItem } from '../queue/prompt-queue.js';
import { nodeSignatures, type OutputCache } from './cache.js';
import { createNodeContext } from './create-node-context.js';
import { InterruptedError, NodeException, ShutdownError } from './errors.js';
import { executionOrder } from './execution-order.js';
import type { ExecutorDeps } from './executor-deps.js';
import { sleep } from './interrupt.js';
import { NODE_IMPLEMENTATIONS } from './node-implementations.js';
import { formatValue, type SimValue } from './values.js';

/** How a prompt ended; becomes its history entry. */
export interface ExecutionOutcome {
  success: boolean;
  messages: HistoryEntry['status']['messages'];
  outputs: HistoryEntry['outputs'];
}

/** The `client_id` events go to; absent or null means "nobody in particular" (broadcast rules apply). */
export function clientIdOf(item: QueueItem): string | null {
  const id = item.extraData.client_id;
  return id === undefined || id === null ? null : String(id);
}

/**
 * ComfyUI's `PromptExecutor.execute_async` for one queued prompt: start and cached messages, each
 * staged node in order (cached output nodes re-send their UI), then success, error or interrupt.
 * Rejects only with ShutdownError (the sim is closing).
 */
export async function executePrompt(item: QueueItem, deps: ExecutorDeps): Promise<ExecutionOutcome> {
  const { promptId, prompt } = item;
  const { hub, cache } = deps;
  const clientId = clientIdOf(item);
  const messages: ExecutionOutcome['messages'] = [];
  // `add_message`: recorded for history; sent to the client, or to everyone when `broadcast`.
  const addMessage = (event: string, data: Record<string, unknown>, broadcast: boolean): void => {
    const stamped = { ...data, timestamp: Date.now() };
    messages.push([event, stamped]);
    if (clientId !== null || broadcast) hub.send(event, stamped, clientId);
  };
  deps.interrupt.reset();
  addMessage('execution_start', { prompt_id: promptId }, false);
  const signatures = nodeSignatures(prompt);
  const isCached = (id: string): boolean => cache.get(signatures.get(id)) !== undefined;
  const cachedAtStart = Object.keys(prompt).filter(isCached);
  addMessage('execution_cached', { nodes: cachedAtStart, prompt_id: promptId }, false);
  if (deps.faults.get().blockedMessage && clientId !== null) {
    // `execution_block_cb`: sent straight to the client, not recorded, and the run goes on.
    const first = Object.keys(prompt)[0] ?? null;
    hub.send('execution_error', { prompt_id: promptId, node_id: first, node_type: first ? prompt[first]!.class_type : null, executed: [], exception_message: 'Execution Blocked: blocked by the sim', exception_type: 'ExecutionBlocked', traceback: [], current_inputs: [], current_outputs: [] }, clientId);
  }
  // `executed` on the socket (the history keeps the UI as it is).
  const sendExecuted = (id: string, ui: unknown): void => {
    if (clientId === null) return;
    const data = { node: id, display_node: id, output: ui, prompt_id: promptId };
    if (deps.faults.get().nanInSocketUi) hub.sendText(JSON.stringify({ type: 'executed', data: { ...data, output: { ...(ui as object), score: '__NaN__' } } }).replace('"__NaN__"', 'NaN'), clientId);
    else hub.send('executed', data, clientId);
  };

  const executed: string[] = [];
  let current: { id: string; inputs: Record<string, unknown> } | null = null;
  let success = false;
  try {
    await sleep(deps.faults.get().slowStartMs ?? 0, deps.shutdown);
    for (const id of executionOrder(prompt, item.outputs, deps.types, isCached)) {
      if (deps.shutdown.aborted) throw new ShutdownError();
      current = { id, inputs: {} };
      const hit = cache.get(signatures.get(id));
      if (hit) {
        sendExecuted(id, hit.ui);
        continue;
      }
      deps.interrupt.throwIfRequested();
      deps.onNodeStart(id);
      if (clientId !== null) hub.send('executing', { node: id, display_node: id, prompt_id: promptId }, clientId);
      current.inputs = resolveInputs(prompt, id, signatures, cache);
      const result = await NODE_IMPLEMENTATIONS[prompt[id]!.class_type]!(current.inputs, createNodeContext(deps, item, id, clientId));
      cache.set(signatures.get(id)!, { outputs: result.outputs, ui: result.ui ?? null });
      executed.push(id);
      if (result.ui) sendExecuted(id, result.ui);
    }
    addMessage('execution_success', { prompt_id: promptId }, false);
    success = true;
  } catch (err) {
    if (err instanceof ShutdownError) throw err;
    const where = { prompt_id: promptId, node_id: current?.id ?? null, node_type: current ? prompt[current.id]!.class_type : null, executed: [...executed] };
    if (err instanceof InterruptedError) addMessage('execution_interrupted', where, true);
    else {
      const ex = err instanceof NodeException ? err : new NodeException('RuntimeError', err instanceof Error ? err.message : String(err));
      const currentInputs = Object.fromEntries(Object.entries(current?.inputs ?? {}).map(([k, v]) => [k, [formatValue(v)]]));
      addMessage('execution_error', { ...where, exception_message: ex.message, exception_type: ex.exceptionType, traceback: simTraceback(where.node_type), current_inputs: currentInputs, current_outputs: cachedAtStart }, false);
    }
  }
  cache.retain(new Set(signatures.values()));
  return { success, messages, outputs: uiOutputs(prompt, signatures, cache) };
}

/** A node's inputs with links replaced by the linked node's cached output value. */
function resolveInputs(prompt: Prompt, id: string, signatures: Map<string, string>, cache: OutputCache): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(prompt[id]!.inputs)) {
    if (!isLink(value)) resolved[name] = value;
    else {
      const source: SimValue | undefined = cache.get(signatures.get(value[0]))?.outputs[value[1]];
      if (!source) throw new NodeException('KeyError', `'${value[0]}'`);
      resolved[name] = source;
    }
  }
  return resolved;
}

/** History `outputs`: the UI of every node of the prompt found in the cache (2025-10 behaviour, so cached runs list their files). */
function uiOutputs(prompt: Prompt, signatures: Map<string, string>, cache: OutputCache): ExecutionOutcome['outputs'] {
  const outputs: ExecutionOutcome['outputs'] = {};
  for (const id of Object.keys(prompt)) {
    const ui = cache.get(signatures.get(id))?.ui;
    if (ui) outputs[id] = ui;
  }
  return outputs;
}

/**
 * A traceback shaped like ComfyUI's (`traceback.format_tb`): frames name files on the GPU host by
 * absolute path, which is exactly what must not reach tenants.
 */
function simTraceback(nodeType: string | null): string[] {
  return [
    '  File "/opt/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n',
    `  File "/opt/ComfyUI/nodes.py", line 1525, in ${nodeType ?? 'execute'}\n    return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)\n`,
  ];
}
