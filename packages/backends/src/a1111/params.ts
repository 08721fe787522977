import type { Img2ImgParams, Txt2ImgParams } from '@gantry/domain';
import type { RunOptions, RunResult } from '../driver.js';
import { saveOverrides } from './saved-images.js';

/** The parameters of a txt2img job: one schema for the API and the driver, in @gantry/domain. */
export { txt2ImgParamsSchema, type Txt2ImgParams } from '@gantry/domain';

/** A backend that runs txt2img parameter jobs (alongside, or instead of, ComfyUI workflows). */
export interface Txt2ImgDriver {
  /**
   * Renders `params`. Events and errors follow BackendDriver.run: progress events have
   * `node: null`; files are named `txt2img_<seed>_<n>.<ext>`, node `txt2img`, type `output`.
   */
  runTxt2Img(params: Txt2ImgParams, options: RunOptions): Promise<RunResult>;
}

/** A backend that runs img2img parameter jobs (AUTOMATIC1111/Forge). */
export interface Img2ImgDriver {
  runImg2Img(params: Img2ImgParams, images: { init: Buffer; mask?: Buffer }, options: RunOptions): Promise<RunResult>;
}

export function isImg2ImgDriver(driver: object): driver is Img2ImgDriver {
  return typeof (driver as Partial<Img2ImgDriver>).runImg2Img === 'function';
}

/** Whether a driver can run parameter jobs. */
export function isTxt2ImgDriver(driver: object): driver is Txt2ImgDriver {
  return typeof (driver as Partial<Txt2ImgDriver>).runTxt2Img === 'function';
}

/**
 * The `POST /sdapi/v1/txt2img` body: one iteration, images in the reply, and our id as
 * `force_task_id` so progress and interrupts can be tied to this request. With `save`, A1111 also
 * saves the images where the task id finds them again (saveOverrides), the one copy that outlives
 * a lost reply; its settings are restored after the job.
 */
export function txt2ImgBody(params: Txt2ImgParams, taskId: string, save: boolean): Record<string, unknown> {
  const { model, ...rest } = params;
  const overrides = { ...(save ? saveOverrides(taskId) : {}), ...(model === undefined ? {} : { sd_model_checkpoint: model }) };
  return {
    ...rest,
    n_iter: 1,
    send_images: true,
    save_images: save,
    force_task_id: taskId,
    ...(Object.keys(overrides).length === 0 ? {} : { override_settings: overrides, override_settings_restore_afterwards: true }),
  };
}
