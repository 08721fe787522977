import type { AppError, Workflow } from '@gantry/domain';
import type { StructuredLogger } from '../logger.js';
import { backendError, promptRejected } from './errors.js';
import { parseJson, type ComfyHttpClient, type HttpReply } from './http-client.js';
import { isRecord } from './messages.js';

export type SubmitOutcome =
  /**
   * Queued under `promptId` (the backend's, which old servers choose themselves). `uncertain`:
   * events may have gone by unrecognised, so check history/queue once.
   */
  | { kind: 'accepted'; promptId: string; uncertain: boolean; nodeErrors?: Record<string, unknown> }
  | { kind: 'rejected'; error: AppError };

export interface SubmitRequest {
  workflow: Workflow;
  clientId: string;
  promptId: string;
  /** Whether the backend knows the prompt; asked when the submit's fate is unclear. */
  locate(): Promise<boolean>;
}

/**
 * `POST /prompt` with our client id and prompt id. 400 → WORKFLOW_INVALID (MODEL_UNAVAILABLE when
 * only loader model inputs failed: see promptRejected); 200 with
 * `node_errors` → accepted (only the valid outputs run; logged); 409 (newer servers: the id is
 * already known) → accepted; a transport failure → accepted only if the prompt can be found.
 */
export async function submitPrompt(http: ComfyHttpClient, request: SubmitRequest, logger: StructuredLogger): Promise<SubmitOutcome> {
  const { promptId } = request;
  let reply: HttpReply;
  try {
    reply = await http.request('POST', '/prompt', { prompt: request.workflow, client_id: request.clientId, prompt_id: promptId });
  } catch (err) {
    // A timeout or reset may hide a prompt the backend did queue.
    return (await request.locate()) ? { kind: 'accepted', promptId, uncertain: true } : { kind: 'rejected', error: err as AppError };
  }
  if (reply.status === 400) return { kind: 'rejected', error: promptRejected(bodyOf(reply)) };
  if (reply.status === 409) {
    logger.info({ promptId }, 'comfyui: prompt id already known to the backend; tracking that prompt');
    return { kind: 'accepted', promptId, uncertain: true };
  }
  if (reply.status !== 200) return { kind: 'rejected', error: backendError(`POST /prompt answered ${reply.status}`, { status: reply.status, body: bodyOf(reply) }) };
  let body: unknown;
  try {
    body = parseJson(reply, 'POST /prompt');
  } catch (err) {
    return { kind: 'rejected', error: err as AppError };
  }
  const serverId = isRecord(body) && typeof body.prompt_id === 'string' ? body.prompt_id : promptId;
  const nodeErrors = isRecord(body) && isRecord(body.node_errors) && Object.keys(body.node_errors).length > 0 ? body.node_errors : undefined;
  if (nodeErrors) logger.warn({ promptId: serverId, nodeErrors }, 'comfyui: prompt accepted, but some outputs failed validation and will not run');
  return { kind: 'accepted', promptId: serverId, uncertain: serverId !== promptId, ...(nodeErrors ? { nodeErrors } : {}) };
}

/** The reply body as JSON if it is JSON, else its first 500 characters. */
function bodyOf(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    return reply.body.subarray(0, 500).toString('utf8');
  }
}
