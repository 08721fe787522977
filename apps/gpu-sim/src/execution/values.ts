import { NodeException } from './errors.js';

/**
 * What flows along the sim's links. Nothing is computed until SaveImage paints pixels; a value
 * only carries what makes the final picture differ (`key` collects the sampling inputs).
 */
export type SimValue =
  | { kind: 'MODEL'; checkpoint: string }
  | { kind: 'CLIP'; checkpoint: string }
  | { kind: 'VAE'; checkpoint: string }
  | { kind: 'CONDITIONING'; text: string; checkpoint: string }
  | { kind: 'LATENT'; width: number; height: number; batch: number; key: string | null; tint?: Tint }
  | { kind: 'IMAGE'; width: number; height: number; batch: number; key: string; tint?: Tint }
  | { kind: 'MASK'; width: number; height: number; key: string }
  | { kind: 'UPSCALE_MODEL'; name: string; scale: number }
  | { kind: 'CONTROL_NET'; name: string };

/** The mean colour of an input image, carried to the output so that it visibly depends on it. */
export type Tint = [number, number, number];

export type SimValueOf<K extends SimValue['kind']> = Extract<SimValue, { kind: K }>;

/** A linked input of the expected kind; a literal where a link belongs fails like Python would. */
export function expectValue<K extends SimValue['kind']>(inputs: Record<string, unknown>, name: string, kind: K): SimValueOf<K> {
  const value = inputs[name] as SimValue | undefined;
  if (typeof value !== 'object' || value === null || value.kind !== kind) {
    throw new NodeException('AttributeError', `Input '${name}' expected ${kind}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value as SimValueOf<K>;
}

/** ComfyUI's `format_value` for `current_inputs`: primitives as they are, objects as a short string. */
export function formatValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const sim = value as SimValue;
  if (!sim.kind) return JSON.stringify(value);
  return `<${sim.kind} ${'checkpoint' in sim ? sim.checkpoint : 'name' in sim ? sim.name : `${sim.width}x${sim.height}${'batch' in sim ? `x${sim.batch}` : ''}`}>`;
}
