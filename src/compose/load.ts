// Reading compose files: YAML parsed with the position of every key and list item, then every
// string value interpolated from the environment (and a `.env` file beside the first file).
// The result is plain data plus a map from key path to position, which validation and mapping
// use to name `file:line:col` in what they report.

import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { interpolate, InterpolationError, parseEnvFile, type Lookup } from './interpolate.js';
import { childPath, ComposeError, ProblemSink, type SourcePosition } from './problems.js';

/** One compose file as data: `value` is the interpolated document, `positions` where each path starts. */
export interface LoadedFile {
  file: string;
  value: unknown;
  positions: Map<string, SourcePosition>;
}

export interface LoadOptions {
  /** Variables for interpolation (pass `process.env` for the CLI's behaviour); default none. */
  environment?: Readonly<Record<string, string | undefined>>;
  /** Read `.env` beside the first file for variables the environment lacks; default true. */
  dotenv?: boolean;
}

export interface LoadResult {
  files: LoadedFile[];
  /** The directory relative paths (bind mounts, secret files, env files) are resolved against. */
  workingDir: string;
  /** The variables interpolation used: the environment over `.env`. */
  lookup: Lookup;
  sink: ProblemSink;
}

/**
 * Reads and parses the files in order. Throws ComposeError naming the file when one cannot be
 * read or is not YAML; other problems are collected in the returned sink.
 */
export async function loadComposeFiles(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  if (paths.length === 0)
    throw new ComposeError([{ severity: 'error', path: '', message: 'no compose file given' }]);
  const workingDir = dirname(resolve(paths[0] as string));
  const environment = options.environment ?? {};
  const dotenv: Record<string, string> = {};
  const sink = new ProblemSink();
  if (options.dotenv ?? true) {
    const envPath = join(workingDir, '.env');
    const text = await readFile(envPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new ComposeError([
        { severity: 'error', path: '', message: `cannot read ${envPath}: ${err.message}` },
      ]);
    });
    if (text !== undefined) {
      const parsed = parseEnvFile(text, { dotenv: true });
      for (const e of parsed.errors) {
        sink.errors.push({
          severity: 'error',
          position: { file: envPath, ...e, col: 1 },
          path: '',
          message: e.reason,
        });
      }
      for (const [key, value] of parsed.entries) dotenv[key] = value;
    }
  }
  const lookup: Lookup = (name) => environment[name] ?? dotenv[name];
  const files: LoadedFile[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new ComposeError([
        { severity: 'error', path: '', message: `cannot read compose file ${path}: ${reason}` },
      ]);
    }
    files.push(parseComposeText(text, path, lookup, sink));
  }
  return { files, workingDir, lookup, sink };
}

/**
 * Parses one file's text. YAML syntax errors are thrown at once (ComposeError with the
 * position); interpolation problems go to `sink`.
 */
export function parseComposeText(text: string, file: string, lookup: Lookup, sink: ProblemSink): LoadedFile {
  const lineCounter = new LineCounter();
  // YAML 1.2 (so `5000:80` stays a string, not 1.1's base-60 number) with `<<` merge keys,
  // which compose files use with `x-` anchors.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    throw new ComposeError(
      doc.errors.map((e) => ({
        severity: 'error' as const,
        position: at(e.pos[0]),
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0] ?? e.message}`,
      })),
    );
  }
  const positions = new Map<string, SourcePosition>();
  const walker = new Walker(doc, text, at, positions, lookup, sink, file);
  const value = doc.contents === null ? null : walker.walk(doc.contents, '');
  return { file, value, positions };
}

/** Values a document may expand to: aliases can multiply a small file (a "billion laughs"). */
const MAX_NODES = 1_000_000;

class Walker {
  private aliasDepth = 0;
  private nodes = 0;

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly at: (offset: number | undefined) => SourcePosition,
    private readonly positions: Map<string, SourcePosition>,
    private readonly lookup: Lookup,
    private readonly sink: ProblemSink,
    private readonly file: string,
  ) {}

  walk(node: Node, path: string): unknown {
    if (++this.nodes > MAX_NODES) {
      throw new ComposeError([
        {
          severity: 'error',
          position: this.positions.get(path) ?? { file: this.file, line: 1, col: 1 },
          path,
          message: `the document expands to more than ${MAX_NODES} values (aliases?)`,
        },
      ]);
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined || ++this.aliasDepth > 1000) {
        this.problem(path, `alias *${node.source} does not resolve`);
        return null;
      }
      try {
        return this.walk(target, path);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const merged: Array<Record<string, unknown>> = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? keyNode.value : keyNode;
        if (key === '<<' || (isScalar(keyNode) && keyNode.source === '<<')) {
          for (const source of isSeq(pair.value) ? pair.value.items : [pair.value]) {
            const value = this.walk(source as Node, path);
            if (typeof value === 'object' && value !== null && !Array.isArray(value))
              merged.push(value as Record<string, unknown>);
            else this.problem(path, 'a << merge key needs a mapping or a list of mappings');
          }
          continue;
        }
        if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
          this.problem(path, 'mapping keys must be strings');
          continue;
        }
        const name = String(key);
        if (name === '__proto__') {
          this.problem(path, 'a mapping key may not be __proto__');
          continue;
        }
        const keyPath = childPath(path, name);
        this.positions.set(keyPath, this.at(keyNode?.range?.[0] ?? node.range?.[0]));
        out[name] = pair.value === null ? null : this.walk(pair.value as Node, keyPath);
      }
      // Explicit keys win over merged ones; earlier merge sources over later ones (YAML's rule).
      for (const source of merged.reverse()) {
        for (const [key, value] of Object.entries(source)) if (!(key in out)) out[key] = value;
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const itemPath = childPath(path, i);
        this.positions.set(itemPath, this.at((item as Node | null)?.range?.[0] ?? node.range?.[0]));
        return item === null ? null : this.walk(item as Node, itemPath);
      });
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'string') return this.interpolate(value, path);
      // Go's YAML libraries read a plain `0440` as octal (file modes in compose files rely on it).
      if (typeof value === 'number' && node.type === 'PLAIN' && node.range) {
        const raw = this.text.slice(node.range[0], node.range[1]);
        if (/^0[0-7]+$/.test(raw)) return parseInt(raw, 8);
      }
      if (typeof value === 'bigint') return Number(value);
      return value ?? null;
    }
    return null;
  }

  private interpolate(text: string, path: string): string {
    if (!text.includes('$')) return text;
    try {
      const result = interpolate(text, this.lookup);
      for (const name of result.unset) {
        this.sink.warnings.push({
          severity: 'warning',
          position: this.positions.get(path) ?? { file: this.file, line: 1, col: 1 },
          path,
          message: `variable ${name} is not set: it becomes an empty string`,
        });
      }
      return result.value;
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      this.problem(path, err.reason);
      return text;
    }
  }

  private problem(path: string, message: string): void {
    this.sink.errors.push({
      severity: 'error',
      position: this.positions.get(path) ?? { file: this.file, line: 1, col: 1 },
      path,
      message,
    });
  }
}
