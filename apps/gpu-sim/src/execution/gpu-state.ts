/** Rough SD1.5 weights footprint once loaded on the GPU. */
export const MODEL_MB = 2048;
/** Rough activation memory per output pixel while sampling (512x512 → 1 GiB). */
const ACTIVATION_BYTES_PER_PIXEL = 4096;

/** What the simulated GPU holds: the loaded checkpoint and the running sampler's activations. */
export class GpuState {
  loadedCheckpoint: string | null = null;
  activationMb = 0;

  constructor(readonly vramMb: number) {}

  usedMb(): number {
    return (this.loadedCheckpoint ? MODEL_MB : 0) + this.activationMb;
  }

  freeMb(): number {
    return Math.max(0, this.vramMb - this.usedMb());
  }

  /** `unload_all_models()`, which ComfyUI runs after an OOM and on `/free`. */
  unloadAll(): void {
    this.loadedCheckpoint = null;
  }
}

/** Activation memory a sampler needs for a latent of this size and batch. */
export function activationMb(width: number, height: number, batch: number): number {
  return (width * height * batch * ACTIVATION_BYTES_PER_PIXEL) / (1024 * 1024);
}
