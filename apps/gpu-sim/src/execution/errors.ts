/** An exception raised inside a node; it becomes `execution_error` with this Python type name. */
export class NodeException extends Error {
  constructor(
    readonly exceptionType: string,
    message: string,
  ) {
    super(message);
    this.name = 'NodeException';
  }
}

/** ComfyUI's InterruptProcessingException: the prompt ends with `execution_interrupted`. */
export class InterruptedError extends Error {
  constructor() {
    super('Processing interrupted');
    this.name = 'InterruptedError';
  }
}

/** The sim is closing: the running prompt is abandoned, with no history and no events. */
export class ShutdownError extends Error {
  constructor() {
    super('gpu-sim is shutting down');
    this.name = 'ShutdownError';
  }
}

/** ComfyUI appends a tip like this to an OOM's `exception_message`, after a newline. */
const OOM_TIP = 'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

/** The `torch.OutOfMemoryError` a sampler raises when activations don't fit in VRAM. */
export function outOfMemory(requestedMb: number, totalMb: number, freeMb: number): NodeException {
  const message = `CUDA out of memory. Tried to allocate ${requestedMb.toFixed(2)} MiB. GPU 0 has a total capacity of ${(totalMb / 1024).toFixed(2)} GiB of which ${freeMb.toFixed(2)} MiB is free.`;
  return new NodeException('torch.OutOfMemoryError', `${message}\n${OOM_TIP}`);
}
