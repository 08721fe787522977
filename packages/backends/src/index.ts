/** @gantry/backends: drivers that run workflows on GPU backends. */
export type { BackendDriver, DriverEvent, OutputFile, PromptStatus, RunOptions, RunResult, DownloadedFile, OutputDownload } from './driver.js';
export { FOLLOW_REASONS, isOutputsUnrecoverable, isPromptUnknown } from './follow-errors.js';
export { silentStructuredLogger, type StructuredLogger } from './logger.js';
export { ComfyUiDriver, createComfyUiDriver } from './comfyui/driver.js';
export { DEFAULT_TIMEOUTS as COMFYUI_DEFAULT_TIMEOUTS, type ComfyUiDriverOptions, type ComfyUiTimeouts } from './comfyui/options.js';
export { parseBinaryFrame, type BinaryFrame } from './comfyui/binary-frames.js';
export { A1111Driver, createA1111Driver } from './a1111/driver.js';
export { DEFAULT_A1111_TIMEOUTS, type A1111DriverOptions, type A1111Timeouts } from './a1111/options.js';
export { txt2ImgParamsSchema, isTxt2ImgDriver, isImg2ImgDriver, type Txt2ImgParams, type Txt2ImgDriver, type Img2ImgDriver } from './a1111/params.js';
export { planFromWorkflow as txt2ImgPlanFromWorkflow } from './a1111/workflow-params.js';
export { isInputUploader, type InputFile, type InputUploader } from './comfyui/upload-input.js';
