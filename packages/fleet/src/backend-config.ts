import { z } from 'zod';
import { storableText } from '@gantry/domain';

export const backendKindSchema = z.enum(['comfyui', 'a1111']);

/** One GPU backend as an operator declares it. */
export const backendConfigSchema = z
  .object({
    id: storableText().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ -; at most 64'),
    kind: backendKindSchema.default('comfyui'),
    url: storableText().url().refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
    capacity: z.number().int().min(1).max(64).default(1),
    tags: z.array(storableText().min(1).max(64)).max(32).default([]),
  })
  .strict();

export type BackendConfig = z.infer<typeof backendConfigSchema>;

/**
 * Parses `GANTRY_BACKENDS`: either a JSON array of backend objects, or the short form
 * `id=url[;capacity][;tag,tag]` separated by whitespace or commas between entries, e.g.
 * `gpu0=http://127.0.0.1:8188;2;sdxl gpu1=http://127.0.0.1:8189`.
 */
export function parseBackendList(text: string): BackendConfig[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const raw: unknown = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split(/\s+/).map(parseShortForm);
  const list = z.array(backendConfigSchema).parse(raw);
  const ids = new Set<string>();
  for (const b of list) {
    if (ids.has(b.id)) throw new Error(`backend id "${b.id}" is listed twice`);
    ids.add(b.id);
  }
  return list;
}

function parseShortForm(entry: string): Record<string, unknown> {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new Error(`backend entry "${entry}" is not id=url[;capacity][;tags]`);
  const [url, capacity, tags] = entry.slice(eq + 1).split(';');
  return {
    id: entry.slice(0, eq),
    url,
    ...(capacity ? { capacity: Number(capacity) } : {}),
    ...(tags ? { tags: tags.split(',').filter(Boolean) } : {}),
  };
}
