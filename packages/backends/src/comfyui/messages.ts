/** A ComfyUI JSON WebSocket message: `{type, data}`. */
export interface ComfyMessage {
  type: string;
  data: Record<string, unknown>;
}

/** Parses a text frame; anything that is not `{type: string, data: object}` gives null. */
export function parseTextFrame(text: string): ComfyMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.type !== 'string') return null;
  return { type: value.type, data: isRecord(value.data) ? value.data : {} };
}

/** The prompt a message is about, when it says. */
export function promptIdOf(message: ComfyMessage): string | null {
  return typeof message.data.prompt_id === 'string' ? message.data.prompt_id : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}
