import { z } from 'zod';

/** The items of a comma-separated value: trimmed, empty ones dropped. */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * A comma-separated list from the environment (`a, b,c` → `['a', 'b', 'c']`; unset or empty → `[]`),
 * split once, at validation. `item` checks each entry; its message names the rule.
 */
export function listEnv(item?: { check: (value: string) => boolean; message: string }) {
  return z
    .string()
    .default('')
    .transform((raw, ctx) => {
      const items = splitList(raw);
      if (item && !items.every(item.check)) {
        ctx.addIssue({ code: 'custom', message: item.message });
        return z.NEVER;
      }
      return items;
    });
}
