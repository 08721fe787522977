import { createA1111Driver, createComfyUiDriver, type BackendDriver } from '@gantry/backends';
import type { BackendConfig } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';

export interface DriverSettings {
  /** How long a backend may stay unreachable during a run before the job is retried elsewhere. */
  backendLostMs: number;
  /** Largest reply or output file accepted from a ComfyUI backend (GANTRY_OUTPUT_MAX_BYTES). */
  maxDownloadBytes?: number;
}

/** The driver that speaks a backend's protocol: ComfyUI, or AUTOMATIC1111/Forge. */
export function createDriver(config: BackendConfig, logger: Logger, settings: DriverSettings): BackendDriver {
  switch (config.kind) {
    case 'comfyui':
      return createComfyUiDriver({
        id: config.id,
        url: config.url,
        logger, // the driver binds its backend id itself
        timeouts: { disconnectGraceMs: settings.backendLostMs },
        maxDownloadBytes: settings.maxDownloadBytes,
      });
    case 'a1111':
      return createA1111Driver({ id: config.id, url: config.url, logger: logger.child({ backend: config.id }) });
  }
}
