import type { ParsedCommand } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { backendsTable } from '../format.js';

export async function backendsLs(ctx: CommandContext): Promise<number> {
  const backends = await ctx.client.backends.list({ signal: ctx.io.signal });
  if (ctx.json) ctx.emitJson(backends);
  else ctx.say(backendsTable(backends));
  return EXIT.OK;
}

export async function backendsDrain(ctx: CommandContext, cmd: ParsedCommand, drain: boolean): Promise<number> {
  const id = cmd.args[0]!;
  const backend = drain ? await ctx.client.backends.drain(id, { signal: ctx.io.signal }) : await ctx.client.backends.undrain(id, { signal: ctx.io.signal });
  if (ctx.json) ctx.emitJson(backend);
  else ctx.say(`${backend.id}  ${drain ? 'draining' : 'undrained'} (state ${backend.state}, ${backend.inFlight} in flight)`);
  return EXIT.OK;
}
