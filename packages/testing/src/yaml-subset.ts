/**
 * A YAML reader for the subset that Kubernetes manifests and compose files use, so tests can
 * check the deploy examples without a YAML dependency: several documents (`---`), block mappings
 * and sequences (a sequence may sit at its key's indent), plain/single-/double-quoted scalars
 * (YAML 1.2 core types: null, booleans, numbers), flow collections (`[a, b]`, `{a: 1}`), block
 * scalars (`|`, `>`, with `-`/`+` chomping), comments, anchors, aliases and `<<` merge keys.
 * Anything outside that subset (tags, complex keys, multi-line plain scalars, tabs for
 * indentation) and duplicate keys throw a YamlError naming the line, so a test fails loudly
 * instead of reading a file wrongly.
 */
export class YamlError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'YamlError';
  }
}

interface Line {
  /** 1-based line number in the source. */
  num: number;
  indent: number;
  /** Content after the indent, comment removed, trailing space trimmed ('' for blank/comment lines). */
  text: string;
  raw: string;
}

/** Removes a trailing `# comment` (one preceded by a space, outside quotes). */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = null;
      } else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:-]/.test(text[i - 1]!)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function toLine(raw: string, num: number): Line {
  const indentMatch = /^ */.exec(raw)![0];
  if (raw[indentMatch.length] === '\t') throw new YamlError('tab used for indentation', num);
  return { num, indent: indentMatch.length, text: stripComment(raw.slice(indentMatch.length)), raw };
}

/** Index just past the key's `:` when `text` is a `key: ...` entry, else -1. */
function keyEnd(text: string): number {
  if (text.startsWith('[') || text.startsWith('{') || text.startsWith('- ') || text === '-') return -1;
  let i = 0;
  if (text[0] === '"' || text[0] === "'") {
    const q = text[0];
    i = 1;
    while (i < text.length) {
      if (text[i] === '\\' && q === '"') i += 2;
      else if (text[i] === q && q === "'" && text[i + 1] === "'") i += 2;
      else if (text[i] === q) break;
      else i++;
    }
    i++;
    while (text[i] === ' ') i++;
    return text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ') ? i + 1 : -1;
  }
  for (; i < text.length; i++) {
    if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ')) return i + 1;
  }
  return -1;
}

function parseKey(text: string, num: number): string {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith("'")) {
    const v = parseScalar(t, num);
    return String(v);
  }
  if (t.startsWith('?') || t.startsWith('&') || t.startsWith('*') || t.startsWith('!')) throw new YamlError(`unsupported key ${t}`, num);
  return t;
}

/** A scalar written inline: quoted, or plain resolved with YAML 1.2 core types. */
function parseScalar(text: string, num: number): unknown {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new YamlError(`unterminated string ${t}`, num);
    try {
      return JSON.parse(t.replace(/\\\//g, '/').replace(/\t/g, '\\t'));
    } catch {
      throw new YamlError(`bad double-quoted string ${t}`, num);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new YamlError(`unterminated string ${t}`, num);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('!')) throw new YamlError(`tags are not supported (${t})`, num);
  if (t === '' || t === '~' || t === 'null' || t === 'Null' || t === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(t)) return true;
  if (/^(false|False|FALSE)$/.test(t)) return false;
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-fA-F]+$/.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(t)) return NaN;
  return t;
}

/** Flow collections on one line: `[a, "b", {c: 1}]`, `{a: 1, b: [x]}`. */
function parseFlow(text: string, num: number, anchors: Map<string, unknown>): unknown {
  let i = 0;
  const ws = () => {
    while (text[i] === ' ') i++;
  };
  const scalarUntil = (stops: string): unknown => {
    ws();
    const start = i;
    if (text[i] === '"' || text[i] === "'") {
      const q = text[i]!;
      i++;
      while (i < text.length) {
        if (text[i] === '\\' && q === '"') i += 2;
        else if (text[i] === q && q === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === q) break;
        else i++;
      }
      i++;
      return parseScalar(text.slice(start, i), num);
    }
    while (i < text.length && !stops.includes(text[i]!)) i++;
    const raw = text.slice(start, i).trim();
    if (raw.startsWith('*')) return alias(raw, num, anchors);
    return parseScalar(raw, num);
  };
  /**
   * The items of a flow collection whose opener was just read, up to its `close` character: each
   * read by `item`, separated by commas; a trailing comma before `close` is allowed.
   */
  const items = (close: ']' | '}', what: string, item: () => void): void => {
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === close) break;
        continue;
      }
      if (text[i] === close) break;
      throw new YamlError(`bad flow ${what} ${text}`, num);
    }
    i++;
  };
  const value = (): unknown => {
    ws();
    if (text[i] === '[') {
      i++;
      const out: unknown[] = [];
      items(']', 'sequence', () => out.push(value()));
      return out;
    }
    if (text[i] === '{') {
      i++;
      const out: Record<string, unknown> = {};
      items('}', 'mapping', () => {
        const key = String(scalarUntil(':,}'));
        ws();
        if (text[i] !== ':') throw new YamlError(`bad flow mapping ${text}`, num);
        i++;
        if (Object.hasOwn(out, key)) throw new YamlError(`duplicate key ${key}`, num);
        out[key] = value();
      });
      return out;
    }
    return scalarUntil(',]}');
  };
  const result = value();
  ws();
  if (i !== text.length) throw new YamlError(`unexpected text after flow collection: ${text.slice(i)}`, num);
  return result;
}

function alias(text: string, num: number, anchors: Map<string, unknown>): unknown {
  const name = text.slice(1).trim();
  if (!anchors.has(name)) throw new YamlError(`unknown alias *${name}`, num);
  return structuredClone(anchors.get(name));
}

/** Folded block scalar lines: a line break becomes a space, an empty line a line break. */
function fold(body: string[]): string {
  let out = '';
  body.forEach((cur, idx) => {
    const prev = body[idx - 1];
    if (cur === '') out += '\n';
    else if (idx === 0 || out.endsWith('\n')) out += cur;
    else if (/^\s/.test(cur) || (prev !== undefined && /^\s/.test(prev))) out += `\n${cur}`;
    else out += ` ${cur}`;
  });
  return out;
}

class Parser {
  private pos = 0;
  readonly anchors = new Map<string, unknown>();

  constructor(private readonly lines: Line[]) {}

  /** The next non-blank line, skipping blanks and comments. */
  private peek(): Line | undefined {
    while (this.pos < this.lines.length && this.lines[this.pos]!.text === '') this.pos++;
    return this.lines[this.pos];
  }

  parseDocument(): unknown {
    const first = this.peek();
    if (!first) return undefined;
    const value = this.parseNode(first.indent);
    const rest = this.peek();
    if (rest) throw new YamlError(`unexpected content: ${rest.text}`, rest.num);
    return value;
  }

  /** A block node whose lines are indented at least `minIndent`. */
  private parseNode(minIndent: number): unknown {
    const line = this.peek();
    if (!line || line.indent < minIndent) return null;
    if (line.text === '-' || line.text.startsWith('- ')) return this.parseSequence(line.indent);
    if (keyEnd(line.text) > 0) return this.parseMapping(line.indent);
    this.pos++;
    const value = this.inlineValue(line.text, line);
    const next = this.peek();
    if (next && next.indent > line.indent) throw new YamlError('multi-line plain scalars are not supported', next.num);
    return value;
  }

  private parseSequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      const line = this.peek();
      if (!line || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
      if (line.text === '-') {
        this.pos++;
        out.push(this.parseNode(indent + 1));
        continue;
      }
      const rest = line.text.slice(2).replace(/^ +/, '');
      const offset = line.text.length - rest.length;
      if (keyEnd(rest) > 0 || rest.startsWith('- ')) {
        // "- key: value" starts a mapping (or "- - x" a sequence) whose indent is that of `key`.
        this.lines[this.pos] = { ...line, indent: indent + offset, text: rest };
        out.push(this.parseNode(indent + offset));
      } else {
        this.pos++;
        out.push(this.valueAfterIndicator(rest, line, indent));
      }
    }
    return out;
  }

  private parseMapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merges: Record<string, unknown>[] = [];
    for (;;) {
      const line = this.peek();
      if (!line || line.indent !== indent) {
        if (line && line.indent > indent) throw new YamlError(`bad indentation: ${line.text}`, line.num);
        break;
      }
      const end = keyEnd(line.text);
      if (end < 0) break;
      const key = parseKey(line.text.slice(0, end - 1), line.num);
      const rest = line.text.slice(end).trim();
      this.pos++;
      const value = this.valueAfterIndicator(rest, line, indent, true);
      if (key === '<<') {
        const sources = Array.isArray(value) ? value : [value];
        for (const s of sources) {
          if (!s || typeof s !== 'object' || Array.isArray(s)) throw new YamlError('<< needs a mapping (or a list of them)', line.num);
          merges.push(s as Record<string, unknown>);
        }
        continue;
      }
      if (Object.hasOwn(out, key)) throw new YamlError(`duplicate key ${key}`, line.num);
      out[key] = value;
    }
    for (const m of merges) for (const [k, v] of Object.entries(m)) if (!Object.hasOwn(out, k)) out[k] = v;
    return out;
  }

  /**
   * The value after `key:` or `- `: inline text, or (when empty) a nested block; a block
   * sequence may sit at the key's own indent (`sameIndentSeq`).
   */
  private valueAfterIndicator(rest: string, line: Line, indent: number, sameIndentSeq = false): unknown {
    let text = rest;
    let anchor: string | undefined;
    const anchorMatch = /^&([^\s[\]{},]+)\s*/.exec(text);
    if (anchorMatch) {
      anchor = anchorMatch[1];
      text = text.slice(anchorMatch[0].length);
    }
    let value: unknown;
    if (text === '') {
      const next = this.peek();
      if (next && next.indent > indent) value = this.parseNode(indent + 1);
      else if (sameIndentSeq && next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '))) value = this.parseSequence(indent);
      else value = null;
    } else if (/^[|>][-+]?\d?$/.test(text)) {
      value = this.blockScalar(text, indent);
    } else {
      value = this.inlineValue(text, line);
    }
    if (anchor) this.anchors.set(anchor, structuredClone(value));
    return value;
  }

  private inlineValue(text: string, line: Line): unknown {
    if (text.startsWith('*')) return alias(text, line.num, this.anchors);
    if (text.startsWith('[') || text.startsWith('{')) return parseFlow(text, line.num, this.anchors);
    return parseScalar(text, line.num);
  }

  /** `|` keeps newlines, `>` folds them; `-` strips the final newline, `+` keeps trailing blank lines. */
  private blockScalar(header: string, parentIndent: number): string {
    const folded = header.startsWith('>');
    const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
    const body: string[] = [];
    let blockIndent = -1;
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos]!;
      const blank = l.raw.trim() === '';
      if (!blank) {
        if (blockIndent < 0) blockIndent = l.indent;
        if (l.indent < blockIndent || l.indent <= parentIndent) break;
      }
      body.push(blank ? '' : l.raw.slice(blockIndent));
      this.pos++;
    }
    let trailing = 0;
    while (body.length && body[body.length - 1] === '') {
      body.pop();
      trailing++;
    }
    let text = folded ? fold(body) : body.join('\n');
    if (chomp === 'clip' && body.length) text += '\n';
    if (chomp === 'keep') text += '\n'.repeat(trailing + (body.length ? 1 : 0));
    return text;
  }
}

/** Every document of a YAML stream (empty documents are left out). */
export function parseYamlDocuments(source: string): unknown[] {
  const docs: Line[][] = [[]];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (/^---(\s|$)/.test(raw)) {
      if (raw.slice(3).trim() && !raw.slice(3).trim().startsWith('#')) throw new YamlError('content after --- is not supported', i + 1);
      docs.push([]);
    } else if (/^\.\.\.\s*$/.test(raw)) {
      docs.push([]);
    } else {
      docs[docs.length - 1]!.push(toLine(raw, i + 1));
    }
  });
  return docs.map((lines) => new Parser(lines).parseDocument()).filter((d) => d !== undefined);
}

/** The one document of a YAML file. */
export function parseYaml(source: string): unknown {
  const docs = parseYamlDocuments(source);
  if (docs.length !== 1) throw new YamlError(`expected one document, found ${docs.length}`);
  return docs[0];
}
