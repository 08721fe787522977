import type { ModelKind } from '@gantry/sdk';
import type { ParsedCommand } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { modelsTable } from '../format.js';

const KINDS: readonly ModelKind[] = ['checkpoint', 'lora', 'vae', 'upscaler', 'controlnet', 'clip', 'unet'];

/** `gantry models [--kind k]`: every model file of the fleet and the backends that hold it. */
export async function modelsLs(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const kind = cmd.options.kind as string | undefined;
  if (kind !== undefined && !(KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`, 'models');
  const models = await ctx.client.models({ signal: ctx.io.signal, ...(kind ? { kind: kind as ModelKind } : {}) });
  if (ctx.json) ctx.emitJson(models);
  else ctx.say(modelsTable(models));
  return EXIT.OK;
}
