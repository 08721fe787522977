import type { DriverEvent } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import type { ComfyMessage } from './messages.js';
import { filesFromUi } from './output-files.js';

/**
 * Translates the informational ComfyUI messages of one prompt into driver events. Terminal
 * messages (`execution_error`, `execution_interrupted`, `executing {node: null}`) and unknown
 * ones (`progress_state`, `status`…) give null; the prompt run handles the former.
 */
export function toDriverEvent(message: ComfyMessage, logger: StructuredLogger): DriverEvent | null {
  const d = message.data;
  switch (message.type) {
    case 'execution_start':
      return { type: 'started' };
    case 'execution_cached':
      return { type: 'cached', nodes: Array.isArray(d.nodes) ? d.nodes.filter((n): n is string => typeof n === 'string') : [] };
    case 'executing':
      return typeof d.node === 'string' ? { type: 'executing', node: d.node } : null;
    case 'progress':
      if (typeof d.value !== 'number' || typeof d.max !== 'number') return null;
      return { type: 'progress', node: typeof d.node === 'string' ? d.node : null, value: d.value, max: d.max };
    case 'executed':
      // A cached output node re-sends its old UI (or null); the files are still this run's outputs.
      return typeof d.node === 'string' ? { type: 'executed', node: d.node, files: filesFromUi(d.node, d.output, logger) } : null;
    default:
      return null;
  }
}
