/**
 * A1111 1.10's samplers and schedulers (`sd_samplers_kdiffusion.py`, `sd_samplers_timesteps.py`,
 * `sd_schedulers.py`), with the ComfyUI sampler/scheduler each one runs as on the shared queue.
 */

/** One sampler (`GET /sdapi/v1/samplers` items, plus the ComfyUI sampler it runs as). */
export interface A1111Sampler {
  name: string;
  aliases: string[];
  options: Record<string, unknown>;
  /** ComfyUI's closest `sampler_name`. */
  comfy: string;
}

/** One `sd_schedulers.Scheduler` (`GET /sdapi/v1/schedulers` items, plus the ComfyUI scheduler it runs as). */
export interface A1111Scheduler {
  name: string;
  label: string;
  aliases: string[] | null;
  default_rho: number | null;
  need_inner_model: boolean;
  comfy: string;
}

const sampler = (name: string, aliases: string[], options: Record<string, unknown>, comfy: string): A1111Sampler => ({ name, aliases, options, comfy });

/** In A1111's order: the first one is the default for an unknown or missing name. */
export const SAMPLERS: readonly A1111Sampler[] = [
  sampler('DPM++ 2M', ['k_dpmpp_2m'], { scheduler: 'karras' }, 'dpmpp_2m'),
  sampler('DPM++ SDE', ['k_dpmpp_sde'], { scheduler: 'karras', second_order: true, brownian_noise: true }, 'dpmpp_sde'),
  sampler('DPM++ 2M SDE', ['k_dpmpp_2m_sde'], { scheduler: 'exponential', brownian_noise: true }, 'dpmpp_2m_sde'),
  sampler('DPM++ 2M SDE Heun', ['k_dpmpp_2m_sde_heun'], { scheduler: 'exponential', brownian_noise: true, solver_type: 'heun' }, 'dpmpp_2m_sde'),
  sampler('DPM++ 2S a', ['k_dpmpp_2s_a'], { scheduler: 'karras', uses_ensd: true, second_order: true }, 'dpmpp_2s_ancestral'),
  sampler('DPM++ 3M SDE', ['k_dpmpp_3m_sde'], { scheduler: 'exponential', discard_next_to_last_sigma: true, brownian_noise: true }, 'dpmpp_3m_sde'),
  sampler('Euler a', ['k_euler_a', 'k_euler_ancestral'], { uses_ensd: true }, 'euler_ancestral'),
  sampler('Euler', ['k_euler'], {}, 'euler'),
  sampler('LMS', ['k_lms'], {}, 'lms'),
  sampler('Heun', ['k_heun'], { second_order: true }, 'heun'),
  sampler('DPM2', ['k_dpm_2'], { scheduler: 'karras', discard_next_to_last_sigma: true, second_order: true }, 'dpm_2'),
  sampler('DPM2 a', ['k_dpm_2_a'], { scheduler: 'karras', discard_next_to_last_sigma: true, uses_ensd: true, second_order: true }, 'dpm_2_ancestral'),
  sampler('DPM fast', ['k_dpm_fast'], { uses_ensd: true }, 'dpm_fast'),
  sampler('DPM adaptive', ['k_dpm_ad'], { uses_ensd: true }, 'dpm_adaptive'),
  sampler('Restart', ['restart'], { scheduler: 'karras', second_order: true }, 'euler'),
  sampler('DDIM', ['ddim'], {}, 'ddim'),
  sampler('DDIM CFG++', ['ddim_cfgpp'], {}, 'ddim'),
  sampler('PLMS', ['plms'], {}, 'ddim'),
  sampler('UniPC', ['unipc'], {}, 'uni_pc'),
  sampler('LCM', ['k_lcm'], {}, 'lcm'),
];

const scheduler = (name: string, label: string, comfy: string, extra: Partial<A1111Scheduler> = {}): A1111Scheduler => ({ name, label, aliases: null, default_rho: null, need_inner_model: false, comfy, ...extra });

/** `automatic` first: it means "the sampler's own default". */
export const SCHEDULERS: readonly A1111Scheduler[] = [
  scheduler('automatic', 'Automatic', 'normal'),
  scheduler('uniform', 'Uniform', 'simple', { need_inner_model: true }),
  scheduler('karras', 'Karras', 'karras', { default_rho: 7 }),
  scheduler('exponential', 'Exponential', 'exponential'),
  scheduler('polyexponential', 'Polyexponential', 'exponential', { default_rho: 1 }),
  scheduler('sgm_uniform', 'SGM Uniform', 'sgm_uniform', { aliases: ['SGMUniform'], need_inner_model: true }),
  scheduler('kl_optimal', 'KL Optimal', 'kl_optimal'),
  scheduler('align_your_steps', 'Align Your Steps', 'normal'),
  scheduler('simple', 'Simple', 'simple', { need_inner_model: true }),
  scheduler('normal', 'Normal', 'normal', { need_inner_model: true }),
  scheduler('ddim', 'DDIM', 'ddim_uniform', { need_inner_model: true }),
  scheduler('beta', 'Beta', 'beta', { need_inner_model: true }),
];

/** The sampler and schedule a request gets. */
export interface ResolvedSampler {
  sampler: A1111Sampler;
  /** The schedule actually used (the sampler's default when `Automatic`); null if the sampler has none. */
  schedule: A1111Scheduler | null;
  /** What the request's `scheduler` becomes (`null` when it stays automatic). */
  schedulerLabel: string | null;
}

/**
 * `sd_samplers.get_sampler_and_scheduler`: "DPM++ 2M Karras" splits into sampler and scheduler;
 * an unknown sampler silently becomes the default one (A1111 1.9+ never answers "Sampler not found").
 */
export function resolveSampler(samplerName: string | null, schedulerName: string | null): ResolvedSampler {
  let chosen = SCHEDULERS.find((s) => s.name === schedulerName || s.label === schedulerName) ?? SCHEDULERS[0]!;
  let name = samplerName || SAMPLERS[0]!.name;
  for (const s of SCHEDULERS) {
    const suffix = [s.label, ...(s.aliases ?? [])].find((option) => name.endsWith(` ${option}`));
    if (suffix) {
      chosen = s;
      name = name.slice(0, -(suffix.length + 1));
      break;
    }
  }
  const found = SAMPLERS.find((s) => s.name === name) ?? SAMPLERS[0]!;
  // Naming the sampler's own default scheduler is the same as Automatic.
  if (found.options.scheduler === chosen.name) chosen = SCHEDULERS[0]!;
  const schedule = chosen.name === 'automatic' ? SCHEDULERS.find((s) => s.name === found.options.scheduler) ?? null : chosen;
  return { sampler: found, schedule, schedulerLabel: chosen.name === 'automatic' ? null : chosen.label };
}
