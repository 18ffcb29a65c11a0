// The short volume syntax of a compose file (`[source:]target[:options]`), parsed as docker/cli's
// loader.ParseVolume does: a source that looks like a path (`/`, `.`, `~`) is a bind mount,
// any other source names a volume of the stack, no source is an anonymous volume.

import type { Parsed } from './units.js';

export interface ParsedVolume {
  type: 'bind' | 'volume';
  source?: string;
  target: string;
  readOnly?: boolean;
  noCopy?: boolean;
  propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  /** Options docker ignores too (`z`, `Z`, unknown ones). */
  ignoredOptions: string[];
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;

export function parseShortVolume(spec: string): Parsed<ParsedVolume> {
  if (spec === '') return { ok: false, reason: 'an empty volume' };
  const parts = spec.split(':');
  if (parts.some((p) => p === ''))
    return { ok: false, reason: `invalid volume ${JSON.stringify(spec)}: empty section between colons` };
  if (parts.length > 3)
    return { ok: false, reason: `invalid volume ${JSON.stringify(spec)}: too many colons` };
  if (parts.length === 1) return { ok: true, value: { type: 'volume', target: spec, ignoredOptions: [] } };
  const [source = '', target = '', options = ''] = parts;
  const volume: ParsedVolume = {
    type: isFilePath(source) ? 'bind' : 'volume',
    source,
    target,
    ignoredOptions: [],
  };
  for (const option of options === '' ? [] : options.split(',')) {
    if (option === 'ro') volume.readOnly = true;
    else if (option === 'rw') volume.readOnly = false;
    else if (option === 'nocopy') volume.noCopy = true;
    else if ((PROPAGATIONS as readonly string[]).includes(option))
      volume.propagation = option as ParsedVolume['propagation'];
    else volume.ignoredOptions.push(option);
  }
  return { ok: true, value: volume };
}

function isFilePath(source: string): boolean {
  return source === '.' || source === '..' || /^[./~]/.test(source);
}
