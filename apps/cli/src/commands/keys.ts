import type { ApiKeyScope } from '@gantry/sdk';
import type { ParsedCommand } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';

const SCOPES: readonly ApiKeyScope[] = ['submit', 'read', 'admin'];

export async function keysCreate(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const tenant = cmd.options.tenant as string | undefined;
  if (!tenant) throw new UsageError('--tenant is required', 'keys create');
  const scopes = ((cmd.options.scopes as string | undefined) ?? 'submit,read').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad !== undefined || scopes.length === 0) throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(', ')}`, 'keys create');
  const name = cmd.options.name as string | undefined;
  const created = await ctx.client.apiKeys.create({ tenant, scopes: scopes as ApiKeyScope[], ...(name ? { name } : {}) }, { signal: ctx.io.signal });
  if (ctx.json) {
    ctx.emitJson(created);
  } else {
    ctx.say(created.key);
    ctx.warn(`Created key ${created.id} for tenant ${created.tenant} (${created.scopes.join(', ')}). The key is shown only now: store it.`);
  }
  return EXIT.OK;
}

export async function keysRevoke(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const id = cmd.args[0]!;
  await ctx.client.apiKeys.revoke(id, { signal: ctx.io.signal });
  if (ctx.json) ctx.emitJson({ id, revoked: true });
  else ctx.say(`revoked ${id}`);
  return EXIT.OK;
}
