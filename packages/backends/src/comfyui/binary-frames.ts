/**
 * ComfyUI binary WebSocket frames (`protocol.py` BinaryEventTypes): a big-endian u32 event type,
 * then the payload. Parsing never throws: malformed frames give `null`, unknown types `unknown`.
 */
export type BinaryFrame =
  /** Type 1 (legacy, no routing info) or 4 (with metadata naming the prompt and node). */
  | { kind: 'preview'; mime: string; data: Buffer; promptId: string | null; node: string | null }
  /** Type 3: progress text from a node (e.g. API nodes' "Result URL: …"); always broadcast. */
  | { kind: 'text'; node: string; text: string }
  | { kind: 'unknown'; eventType: number };

const PREVIEW_IMAGE = 1;
const TEXT = 3;
const PREVIEW_IMAGE_WITH_METADATA = 4;

/** Type 1's image_format field. */
const IMAGE_FORMATS: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };

export function parseBinaryFrame(frame: Buffer): BinaryFrame | null {
  if (frame.length < 4) return null;
  const eventType = frame.readUInt32BE(0);
  switch (eventType) {
    case PREVIEW_IMAGE: {
      if (frame.length < 8) return null;
      const mime = IMAGE_FORMATS[frame.readUInt32BE(4)];
      return mime ? { kind: 'preview', mime, data: frame.subarray(8), promptId: null, node: null } : null;
    }
    case TEXT: {
      const parts = lengthPrefixed(frame);
      return parts ? { kind: 'text', node: parts.head.toString('utf8'), text: parts.rest.toString('utf8') } : null;
    }
    case PREVIEW_IMAGE_WITH_METADATA: {
      const parts = lengthPrefixed(frame);
      if (!parts) return null;
      let metadata: unknown;
      try {
        metadata = JSON.parse(parts.head.toString('utf8'));
      } catch {
        return null;
      }
      if (typeof metadata !== 'object' || metadata === null) return null;
      const m = metadata as Record<string, unknown>;
      return {
        kind: 'preview',
        // ComfyUI writes "image/png" for PNG and "image/jpeg" otherwise.
        mime: typeof m.image_type === 'string' ? m.image_type : 'image/jpeg',
        data: parts.rest,
        promptId: typeof m.prompt_id === 'string' ? m.prompt_id : null,
        node: typeof m.display_node_id === 'string' ? m.display_node_id : typeof m.node_id === 'string' ? m.node_id : null,
      };
    }
    default:
      return { kind: 'unknown', eventType };
  }
}

/** `[u32 type][u32 n][n bytes head][rest]`, or null if the length runs past the frame. */
function lengthPrefixed(frame: Buffer): { head: Buffer; rest: Buffer } | null {
  if (frame.length < 8) return null;
  const n = frame.readUInt32BE(4);
  if (8 + n > frame.length) return null;
  return { head: frame.subarray(8, 8 + n), rest: frame.subarray(8 + n) };
}
