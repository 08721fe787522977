/** What a saved image's name can be made of (A1111's `FilenameGenerator` inputs the sim has). */
export interface NameContext {
  seed: number;
  prompt: string;
  width: number;
  height: number;
  steps: number;
  cfgScale: number;
  sampler: string;
  modelName: string;
  jobTimestamp: string;
  now: Date;
  /** `opts.directories_max_prompt_words`. */
  maxPromptWords: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const INVALID_CHARS = /[#<>:"/\\|?*\n\r\t]/g;
const NON_LETTERS = /[\s!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+/;

/** `images.sanitize_filename_part`: invalid characters become `_`, no leading space or trailing space/dot, at most 128 characters. */
export function sanitizeFilenamePart(text: string, replaceSpaces = true): string {
  const spaced = replaceSpaces ? text.replaceAll(' ', '_') : text;
  return spaced.replace(INVALID_CHARS, '_').replace(/^ +/, '').slice(0, 128).replace(/[ .]+$/, '');
}

/** The `[name]` replacements the sim knows (A1111 has more; unknown ones stay as written). */
const REPLACEMENTS: Record<string, (c: NameContext) => string> = {
  seed: (c) => String(c.seed),
  prompt: (c) => sanitizeFilenamePart(c.prompt),
  prompt_spaces: (c) => sanitizeFilenamePart(c.prompt, false),
  prompt_words: (c) => {
    const words = c.prompt.split(NON_LETTERS).filter(Boolean);
    return sanitizeFilenamePart((words.length ? words : ['empty']).slice(0, c.maxPromptWords).join(' '), false);
  },
  steps: (c) => String(c.steps),
  cfg: (c) => String(c.cfgScale),
  width: (c) => String(c.width),
  height: (c) => String(c.height),
  sampler: (c) => sanitizeFilenamePart(c.sampler, false),
  model_name: (c) => sanitizeFilenamePart(c.modelName, false),
  date: (c) => `${c.now.getFullYear()}-${pad(c.now.getMonth() + 1)}-${pad(c.now.getDate())}`,
  datetime: (c) => `${c.now.getFullYear()}${pad(c.now.getMonth() + 1)}${pad(c.now.getDate())}${pad(c.now.getHours())}${pad(c.now.getMinutes())}${pad(c.now.getSeconds())}`,
  job_timestamp: (c) => c.jobTimestamp,
  // "Overrides the default, so you can get just the sequence number."
  none: () => '',
};

/**
 * `FilenameGenerator.apply`: literal text is kept as it is, each `[name]` (or `[name<args>]`) is
 * replaced by its value, and an unknown name stays `[name]` (without its args). Args are ignored.
 */
export function applyPattern(pattern: string, context: NameContext): string {
  let out = '';
  for (const match of pattern.matchAll(/(.*?)(?:\[([^[\]]+)\]|$)/g)) {
    const [, text = '', name] = match;
    if (name === undefined) {
      out += text;
      continue;
    }
    const bare = name.replace(/(<[^>]*>)+$/, '');
    const replace = REPLACEMENTS[bare.toLowerCase()];
    out += replace ? text + replace(context) : `${text}[${bare}]`;
  }
  return out;
}
