import type { OutputFile } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { isRecord } from './messages.js';

const FOLDER_TYPES = new Set(['output', 'temp', 'input']);

/**
 * Backend responses are untrusted: a file reference must be a plain file name, a relative
 * subfolder without `..`, and one of ComfyUI's folder types, or it is dropped.
 */
function safeFile(nodeId: string, item: unknown): OutputFile | null {
  if (!isRecord(item) || typeof item.filename !== 'string') return null;
  const { filename } = item;
  const subfolder = typeof item.subfolder === 'string' ? item.subfolder : '';
  const type = typeof item.type === 'string' ? item.type : 'output';
  if (!filename || filename.length > 1024 || /[/\\\0]/.test(filename) || filename === '.' || filename === '..') return null;
  if (subfolder.length > 1024 || /^[/\\]/.test(subfolder) || subfolder.includes('\0') || subfolder.split(/[/\\]/).includes('..')) return null;
  return FOLDER_TYPES.has(type) ? { nodeId, filename, subfolder, type } : null;
}

/**
 * The files in one node's UI dict (`{images: [...], gifs: [...], ...}`: keys vary by node, so
 * every list of `{filename, subfolder, type}` counts).
 */
export function filesFromUi(nodeId: string, ui: unknown, logger: StructuredLogger): OutputFile[] {
  if (!isRecord(ui)) return [];
  const files: OutputFile[] = [];
  for (const [key, list] of Object.entries(ui)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item) || !('filename' in item)) continue; // e.g. `text` outputs are plain strings
      const file = safeFile(nodeId, item);
      if (file) files.push(file);
      else logger.warn({ nodeId, key, item }, 'comfyui: ignoring an unsafe or malformed output file reference');
    }
  }
  return files;
}

/** Every file of a history entry's `outputs`, deduplicated. */
export function filesFromOutputs(outputs: unknown, logger: StructuredLogger): OutputFile[] {
  if (!isRecord(outputs)) return [];
  const seen = new Set<string>();
  const files: OutputFile[] = [];
  for (const [nodeId, ui] of Object.entries(outputs)) {
    for (const file of filesFromUi(nodeId, ui, logger)) {
      const key = `${file.type}\0${file.subfolder}\0${file.filename}`;
      if (seen.has(key)) continue;
      seen.add(key);
      files.push(file);
    }
  }
  return files;
}
