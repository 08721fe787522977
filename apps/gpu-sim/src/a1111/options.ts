import { findCheckpoint, type Checkpoint } from './checkpoints.js';
import { pyRepr } from '../validation/py-values.js';
import { A1111Exception } from './responses.js';

/**
 * The webui settings (`GET /sdapi/v1/options`): the ones that matter to an API client, with
 * A1111 1.10's defaults, except the output folders: relative paths resolve against the sim's own
 * directory (A1111's are `outputs/...` under the webui folder; the sim's A1111 images go to its
 * ComfyUI `output` folder, so `/view` serves them too). Real servers list a few hundred; setting
 * one the sim does not know fails like setting an unknown key does in A1111 (`KeyError`).
 */
export class WebuiOptions {
  private readonly data: Record<string, unknown>;

  constructor(private readonly checkpoints: readonly Checkpoint[]) {
    const first = checkpoints[0]!;
    this.data = {
      samples_save: true,
      samples_format: 'png',
      samples_filename_pattern: '',
      save_images_add_number: true,
      grid_save: true,
      grid_format: 'png',
      enable_pnginfo: true,
      save_txt: false,
      save_incomplete_images: false,
      save_images_before_face_restoration: false,
      save_images_before_highres_fix: false,
      save_images_before_color_correction: false,
      jpeg_quality: 80,
      outdir_samples: '',
      outdir_txt2img_samples: 'output/txt2img-images',
      outdir_txt2img_grids: 'output/txt2img-grids',
      save_to_dirs: true,
      directories_filename_pattern: '[date]',
      directories_max_prompt_words: 8,
      sd_model_checkpoint: first.title,
      sd_checkpoint_hash: first.sha256,
      sd_checkpoints_limit: 1,
      sd_vae: 'Automatic',
      CLIP_stop_at_last_layers: 1,
      eta_noise_seed_delta: 0,
      randn_source: 'GPU',
      return_grid: true,
      live_previews_enable: true,
      live_previews_image_format: 'png',
      show_progress_every_n_steps: 10,
      show_progress_type: 'Approx NN',
      add_model_hash_to_info: true,
      add_model_name_to_info: true,
      add_version_to_infotext: true,
    };
  }

  all(): Record<string, unknown> {
    return { ...this.data };
  }

  /**
   * The settings a job runs with: `process_images` applies the request's `override_settings` for
   * its duration (`opts.set(k, v, is_api=True)`). Keys the sim does not know are ignored here;
   * the checkpoint override is resolved by the caller.
   */
  withOverrides(overrides: Record<string, unknown>): Readonly<Record<string, unknown>> {
    const known = Object.entries(overrides).filter(([key]) => key in this.data && key !== 'sd_model_checkpoint');
    return { ...this.data, ...Object.fromEntries(known) };
  }

  /** The loaded checkpoint (`opts.sd_model_checkpoint`). */
  checkpoint(): Checkpoint {
    return findCheckpoint(this.checkpoints, this.data.sd_model_checkpoint) ?? this.checkpoints[0]!;
  }

  /** `POST /sdapi/v1/options` (`set_config`): a checkpoint must be known by one of its aliases. */
  set(patch: Record<string, unknown>): void {
    const name = patch.sd_model_checkpoint;
    const checkpoint = name === undefined || name === null ? undefined : findCheckpoint(this.checkpoints, name);
    if (name !== undefined && name !== null && !checkpoint) throw new A1111Exception('RuntimeError', `model ${pyRepr(name)} not found`);
    for (const key of Object.keys(patch)) if (!(key in this.data)) throw new A1111Exception('KeyError', pyRepr(key));
    Object.assign(this.data, patch);
    if (checkpoint) Object.assign(this.data, { sd_model_checkpoint: checkpoint.title, sd_checkpoint_hash: checkpoint.sha256 });
  }
}

