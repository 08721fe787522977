import type { ApiKey, ApiKeyScope } from '@gantry/sdk';
import { intOption, type ParsedCommand } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { table } from '../format.js';

const SCOPES: readonly ApiKeyScope[] = ['submit', 'read', 'tenant-admin', 'operator'];
/** Earlier name of `operator`, still understood so scripts written for it keep working. */
const LEGACY: Record<string, ApiKeyScope> = { admin: 'operator' };

function parseScopes(raw: string): ApiKeyScope[] {
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => LEGACY[s] ?? s);
  const bad = names.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad !== undefined || names.length === 0) throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(', ')}`, 'keys create');
  return [...new Set(names as ApiKeyScope[])];
}

export async function keysCreate(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const tenant = cmd.options.tenant as string | undefined;
  if (!tenant) throw new UsageError('--tenant is required', 'keys create');
  const scopes = parseScopes((cmd.options.scopes as string | undefined) ?? 'submit,read');
  const name = cmd.options.name as string | undefined;
  const created = await ctx.client.apiKeys.create({ tenant, scopes, ...(name ? { name } : {}) }, { signal: ctx.io.signal });
  if (ctx.json) {
    ctx.emitJson(created);
  } else {
    ctx.say(created.key);
    ctx.warn(`Created key ${created.id} for tenant ${created.tenant} (${created.scopes.join(', ')}). The key is shown only now: store it.`);
  }
  return EXIT.OK;
}

export async function keysLs(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const tenant = cmd.options.tenant as string | undefined;
  const keys: ApiKey[] = [];
  for await (const key of ctx.client.apiKeys.list({ signal: ctx.io.signal, ...(tenant ? { tenant } : {}) })) keys.push(key);
  if (ctx.json) {
    ctx.emitJson(keys);
  } else {
    ctx.say(
      keys.length === 0
        ? 'No keys.'
        : table(keys, [
            ['ID', (k) => k.id],
            ['NAME', (k) => k.name ?? '-'],
            ['SCOPES', (k) => k.scopes.join(',')],
            ['STATUS', (k) => k.status],
            ['CREATED', (k) => k.createdAt],
            ['LAST USED', (k) => k.lastUsedAt ?? '-'],
            ['REVOKED', (k) => k.revokedAt ?? '-'],
          ]),
    );
  }
  return EXIT.OK;
}

export async function keysRevoke(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const id = cmd.args[0]!;
  const key = await ctx.client.apiKeys.revoke(id, { signal: ctx.io.signal });
  if (ctx.json) ctx.emitJson(key ?? { id, status: 'revoked' });
  else ctx.say(`revoked ${id}`);
  return EXIT.OK;
}

export async function keysRotate(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const graceSeconds = intOption(cmd.options.grace, 'grace', 0, 86_400, 'keys rotate');
  const rotated = await ctx.client.apiKeys.rotate(cmd.args[0]!, graceSeconds === undefined ? {} : { graceSeconds }, { signal: ctx.io.signal });
  if (ctx.json) {
    ctx.emitJson(rotated);
  } else {
    ctx.say(rotated.key);
    const old = rotated.replaced.status === 'expiring' ? `works until ${rotated.replaced.revokedAt}` : 'is revoked';
    ctx.warn(`New key ${rotated.id} replaces ${rotated.replaced.id}, which ${old}. The new key is shown only now: store it.`);
  }
  return EXIT.OK;
}
