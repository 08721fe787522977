import { encodePng, type RgbImage } from '../image/png.js';
import type { QueueItem } from '../queue/prompt-queue.js';
import type { ExecutorDeps } from './executor-deps.js';
import { sleep } from './interrupt.js';
import type { NodeContext } from './node-context.js';

/** Binary event types from ComfyUI's `protocol.py`. */
const PREVIEW_IMAGE = 1;
const PREVIEW_IMAGE_WITH_METADATA = 4;
/** `image_format` of a type-1 frame: 1 = JPEG, 2 = PNG (the sim's previews are PNGs). */
const FORMAT_PNG = 2;

/** Builds the context one node runs with; events go to `clientId` (null: broadcast). */
export function createNodeContext(deps: ExecutorDeps, item: QueueItem, nodeId: string, clientId: string | null): NodeContext {
  const { hub, shutdown } = deps;
  return {
    promptId: item.promptId,
    nodeId,
    prompt: item.prompt,
    extraData: item.extraData,
    gpu: deps.gpu,
    faults: deps.faults,
    dirs: deps.dirs,
    stepMs: deps.stepMs,
    modelLoadMs: deps.modelLoadMs,
    sleep: (ms) => sleep(ms, shutdown),
    now: () => performance.now(),
    waitForInterrupt: () => deps.interrupt.waitForInterrupt(shutdown),
    dropSockets: () => hub.dropAll(),
    progress(value: number, max: number, preview?: () => RgbImage): void {
      deps.interrupt.throwIfRequested();
      const png = deps.previews && preview ? encodePng(preview(), { compressLevel: 1 }) : undefined;
      // A client that negotiated supports_preview_metadata gets type 4 before `progress`; others type 1 after it.
      const withMetadata = hub.supportsPreviewMetadata(clientId);
      if (png && withMetadata) hub.sendBytes(previewWithMetadata(png, item.promptId, nodeId), clientId);
      hub.send('progress', { value, max, prompt_id: item.promptId, node: nodeId }, clientId);
      if (png && !withMetadata) hub.sendBytes(Buffer.concat([u32(PREVIEW_IMAGE), u32(FORMAT_PNG), png]), clientId);
    },
  };
}

function previewWithMetadata(png: Buffer, promptId: string, nodeId: string): Buffer {
  const metadata = Buffer.from(JSON.stringify({ node_id: nodeId, prompt_id: promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId, image_type: 'image/png' }));
  return Buffer.concat([u32(PREVIEW_IMAGE_WITH_METADATA), u32(metadata.length), metadata, png]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
