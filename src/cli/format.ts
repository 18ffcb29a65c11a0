// Rendering for people and scripts, as docker's CLI does it: aligned tables (Go's tabwriter with
// docker's settings), docker's relative times ("5 seconds ago"), 12-character ids, and the
// --format choices (`json`, a Go-template-like `{{.Name}}\t{{.ID}}`, `table {{…}}`). Pure
// functions: every one takes what it prints and returns text.

/** docker's ids in lists: the first 12 characters. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

/**
 * Go's text/tabwriter as docker's formatter configures it (minwidth 10, padding 3, spaces): every
 * column but the last is as wide as its widest cell plus 3, and at least 10.
 */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const columns = Math.max(...all.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++)
    widths.push(Math.max(10, ...all.map((r) => [...(r[c] ?? '')].length + 3)));
  return all
    .map((r) => {
      let line = '';
      for (let c = 0; c < columns; c++) {
        const cell = r[c] ?? '';
        line += c < columns - 1 ? cell + ' '.repeat(widths[c]! - [...cell].length) : cell;
      }
      return line.trimEnd() + '\n';
    })
    .join('');
}

/** go-units' HumanDuration, which docker prints in CREATED and CURRENT STATE columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "5 seconds ago" from an RFC 3339 timestamp, as of `nowMs`. */
export function ago(timestamp: string, nowMs: number): string {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '';
  return `${humanDuration(Math.max(0, nowMs - at))} ago`;
}

export function capitalize(text: string): string {
  return text === '' ? text : text[0]!.toUpperCase() + text.slice(1);
}

/** Cuts `text` to `max` characters, ending in `…` when it was longer (docker's Ellipsis). */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

// ---- --format ------------------------------------------------------------------------------

/**
 * A small subset of Go templates, enough for docker-style `--format` strings: `{{.Field}}`,
 * nested `{{.Spec.Name}}`, `{{json .Field}}`, `{{upper .X}}`/`{{lower .X}}`, and `\t`/`\n`
 * escapes. Field names match case-insensitively (`.ID` finds `id`), so the templates people
 * write for docker work on Flotilla's camelCase objects. Unknown fields print `<no value>`, as Go.
 */
export function renderTemplate(template: string, value: unknown): string {
  const text = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const words = expr.split(/\s+/);
    const fn = words.length === 2 ? words[0] : undefined;
    const path = words[words.length - 1]!;
    if (!path.startsWith('.')) throw new TemplateError(`unsupported template expression {{${expr}}}`);
    const found = lookup(value, path);
    switch (fn) {
      case undefined:
        return found === undefined ? '<no value>' : show(found);
      case 'json':
        return JSON.stringify(found ?? null, bytesAsBase64);
      case 'upper':
        return show(found).toUpperCase();
      case 'lower':
        return show(found).toLowerCase();
      default:
        throw new TemplateError(`unknown template function "${fn}" in {{${expr}}}`);
    }
  });
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

function lookup(value: unknown, path: string): unknown {
  if (path === '.') return value;
  let current = value;
  for (const part of path.slice(1).split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    const record = current as Record<string, unknown>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === part.toLowerCase());
    if (key === undefined) return undefined;
    current = record[key];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value, bytesAsBase64) ?? '<no value>';
}

/** What a list command prints: its table, its rows as JSON lines, a template per row, or ids. */
export interface ListOutput<Row> {
  header: string[];
  /** The table's cells of a row. */
  cells: (row: Row) => string[];
  /** The row as `--format json` and templates see it (docker's field names). */
  fields: (row: Row) => Record<string, unknown>;
  /** `-q`: what identifies the row. */
  id: (row: Row) => string;
}

export function renderList<Row>(
  rows: readonly Row[],
  output: ListOutput<Row>,
  options: { quiet?: boolean; format?: string },
): string {
  if (options.quiet) return rows.map((r) => output.id(r) + '\n').join('');
  const format = options.format;
  if (format === undefined || format === '' || format === 'table')
    return renderTable(output.header, rows.map(output.cells));
  if (format === 'json') return rows.map((r) => JSON.stringify(output.fields(r)) + '\n').join('');
  if (format.startsWith('table ')) {
    const template = format.slice('table '.length);
    const header = renderTemplateHeader(template);
    const cells = rows.map((r) => renderTemplate(template, output.fields(r)).split('\t'));
    return renderTable(header, cells);
  }
  return rows.map((r) => renderTemplate(format, output.fields(r)) + '\n').join('');
}

/** `table {{.ID}}\t{{.Name}}` → its header row: the field names in docker's upper case. */
function renderTemplateHeader(template: string): string[] {
  return template
    .replace(/\\t/g, '\t')
    .split('\t')
    .map((cell) =>
      cell.replace(/\{\{\s*(?:\w+\s+)?\.([\w.]*)\s*\}\}/g, (_, path: string) =>
        path
          .split('.')
          .pop()!
          .replace(/([a-z])([A-Z])/g, '$1 $2')
          .toUpperCase(),
      ),
    );
}

/** `inspect`: a JSON array with docker's 4-space indent, or the template applied to each object. */
export function renderInspect(objects: readonly unknown[], format?: string): string {
  if (format === undefined || format === '') return JSON.stringify(objects, bytesAsBase64, 4) + '\n';
  if (format === 'json') return objects.map((o) => JSON.stringify(o, bytesAsBase64) + '\n').join('');
  return objects.map((o) => renderTemplate(format, o) + '\n').join('');
}

/** Config data is bytes in the client; docker's JSON shows base64. */
function bytesAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}
