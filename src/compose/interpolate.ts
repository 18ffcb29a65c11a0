// Variable substitution in compose values, as docker compose does it: `$VAR`, `${VAR}`,
// `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` and
// `${VAR?message}` (refuse), `${VAR:+other}` and `${VAR+other}` (replace when set), `$$` for a
// literal `$`. Defaults may themselves hold substitutions. Pure: the environment is given.

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {
  readonly code = 'INTERPOLATION';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InterpolationError';
  }
}

export interface InterpolationResult {
  value: string;
  /** Variables used without a value and without a default: they became empty strings. */
  unset: string[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** Substitutes every variable in `text`; throws InterpolationError for a refused or malformed one. */
export function interpolate(text: string, lookup: Lookup): InterpolationResult {
  const unset: string[] = [];
  const value = substitute(text, lookup, unset);
  return { value, unset };
}

function substitute(text: string, lookup: Lookup, unset: string[]): string {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const dollar = text.indexOf('$', at);
    if (dollar === -1) {
      out += text.slice(at);
      break;
    }
    out += text.slice(at, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      at = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(text, dollar + 1);
      if (close === -1)
        throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(text)}: no closing }`);
      out += braced(text.slice(dollar + 2, close), text, lookup, unset);
      at = close + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name === undefined) {
        throw new InterpolationError(
          `invalid interpolation format in ${JSON.stringify(text)}: a $ must start a variable or be written $$`,
        );
      }
      out += resolve(name, lookup, unset);
      at = dollar + 1 + name.length;
    }
  }
  return out;
}

/** The index of the `}` closing the `{` at `open`, skipping nested `${…}`. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(inner: string, whole: string, lookup: Lookup, unset: string[]): string {
  const name = NAME.exec(inner)?.[0];
  if (name === undefined) {
    throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(whole)}: \${${inner}}`);
  }
  const rest = inner.slice(name.length);
  if (rest === '') return resolve(name, lookup, unset);
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (operator === undefined) {
    throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(whole)}: \${${inner}}`);
  }
  const argument = rest.slice(operator.length);
  const value = lookup(name);
  const emptyCounts = operator.startsWith(':');
  const isSet = value !== undefined && (!emptyCounts || value !== '');
  switch (operator) {
    case ':-':
    case '-':
      return isSet ? value : substitute(argument, lookup, unset);
    case ':+':
    case '+':
      return isSet ? substitute(argument, lookup, unset) : '';
    default: {
      if (isSet) return value;
      const message = substitute(argument, lookup, unset);
      throw new InterpolationError(
        `required variable ${name} is ${value === undefined ? 'missing' : 'empty'}${message === '' ? '' : `: ${message}`}`,
      );
    }
  }
}

function resolve(name: string, lookup: Lookup, unset: string[]): string {
  const value = lookup(name);
  if (value === undefined) {
    unset.push(name);
    return '';
  }
  return value;
}

/**
 * An env file: `KEY=VALUE` lines, `#` comments, blank lines; `KEY` alone takes the value from
 * `lookup` (left out when it has none). With `dotenv`, as compose reads `.env`: an `export `
 * prefix is allowed and a value in matching quotes loses them. Without it, as docker/cli
 * reads `env_file`: the value is taken literally.
 */
export function parseEnvFile(
  text: string,
  options: { dotenv: boolean; lookup?: Lookup },
): { entries: Array<[string, string]>; errors: Array<{ line: number; reason: string }> } {
  const entries: Array<[string, string]> = [];
  const errors: Array<{ line: number; reason: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    let line = options.dotenv ? raw.trim() : raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    if (options.dotenv && line.startsWith('export ')) line = line.slice('export '.length).trimStart();
    const eq = line.indexOf('=');
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (key === '' || /\s/.test(key)) {
      errors.push({ line: i + 1, reason: `variable name ${JSON.stringify(key)} is not valid` });
      return;
    }
    if (eq === -1) {
      const value = options.lookup?.(key);
      if (value !== undefined) entries.push([key, value]);
      return;
    }
    let value = line.slice(eq + 1);
    if (options.dotenv) {
      value = value.trim();
      const quote = value[0];
      if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
        value = value.slice(1, -1);
        if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
      } else {
        value = value.replace(/\s+#.*$/, '');
      }
    }
    entries.push([key, value]);
  });
  return { entries, errors };
}
