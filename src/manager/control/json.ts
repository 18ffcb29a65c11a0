// Specs and objects as the control API carries them: UTF-8 JSON in bytes fields. Incoming specs
// are parsed here (a parse failure names the field) and handed to src/api's validators; outgoing
// objects pass through `objectJson`, the one place that decides what of an object the API shows
// (a secret's data never, a cluster's CA signing key never) and turns bytes into base64 as
// Docker's JSON does.

import { ValidationError } from '../../api/index.js';
import type { Kind } from '../store/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON field of a request; throws ValidationError naming `path`. */
export function parseJsonField(bytes: Uint8Array, path: string): unknown {
  if (bytes.length === 0) throw new ValidationError(path, 'required');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError(path, 'not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ValidationError(path, `not valid JSON (${reason})`);
  }
}

/** The object as the API shows it, as UTF-8 JSON. */
export function objectJson(kind: Kind, object: unknown): Buffer {
  return Buffer.from(JSON.stringify(toJsonValue(publicView(kind, object))), 'utf8');
}

/** The object without what the API never returns. Copies only what it changes. */
export function publicView(kind: Kind, object: unknown): unknown {
  if (!isRecord(object) || !isRecord(object.spec)) return object;
  const spec = object.spec;
  if (kind === 'secret' && 'data' in spec) {
    const { data: _data, ...rest } = spec;
    return { ...object, spec: rest };
  }
  if (kind === 'cluster' && isRecord(spec.caConfig) && 'signingCAKey' in spec.caConfig) {
    const { signingCAKey: _key, ...caConfig } = spec.caConfig;
    return { ...object, spec: { ...spec, caConfig } };
  }
  return object;
}

/** A JSON-ready copy: byte arrays (and Buffers, whose own toJSON is not base64) become base64. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = toJsonValue(field);
    return copy;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}
