import { z } from 'zod';
import { backendConfigSchema, type BackendConfig } from '@gantry/domain';

export type { BackendConfig };

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
