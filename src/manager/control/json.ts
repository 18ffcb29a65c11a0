// Specs and objects as the control API carries them: UTF-8 JSON in bytes fields. Incoming specs
// are parsed here (a parse failure names the field) and handed to src/api's validators; outgoing
// objects pass through `objectJson`, the one place that decides what of an object the API shows
// (a secret's data never, a cluster's CA signing keys and unlock key never) and turns bytes into base64 as
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

/**
 * Encodings of stored objects, by object. The store's objects are frozen and replaced (never
 * changed) by a write, so an object's JSON never goes stale, and the entry goes when the object
 * does. Lists and watch fan-out encode the same objects again and again: this makes a repeated
 * list of 10,000 tasks, or one event sent to 100 watchers, cost one encoding per object version
 * (the Kubernetes API server caches serialized objects for the same reason).
 */
const encodedByObject = new WeakMap<object, Buffer>();

/** The object as the API shows it, as UTF-8 JSON. Cached for frozen (stored) objects. */
export function objectJson(kind: Kind, object: unknown): Buffer {
  const cacheable = typeof object === 'object' && object !== null && Object.isFrozen(object);
  if (cacheable) {
    const cached = encodedByObject.get(object);
    if (cached) return cached;
  }
  const encoded = Buffer.from(JSON.stringify(publicView(kind, object), bytesAsBase64), 'utf8');
  if (cacheable) encodedByObject.set(object, encoded);
  return encoded;
}

/** The object without what the API never returns. Copies only what it changes. */
export function publicView(kind: Kind, object: unknown): unknown {
  if (!isRecord(object) || !isRecord(object.spec)) return object;
  const spec = object.spec;
  if (kind === 'secret' && 'data' in spec) {
    const { data: _data, ...rest } = spec;
    return { ...object, spec: rest };
  }
  if (kind === 'cluster') {
    let view: Record<string, unknown> = object;
    if (isRecord(spec.caConfig) && 'signingCAKey' in spec.caConfig) {
      const { signingCAKey: _key, ...caConfig } = spec.caConfig;
      view = { ...view, spec: { ...spec, caConfig } };
    }
    if (isRecord(object.rootCA) && 'caKey' in object.rootCA) {
      const { caKey: _key, ...rootCA } = object.rootCA;
      if (isRecord(rootCA.rotation) && 'caKey' in rootCA.rotation) {
        const { caKey: _newKey, ...rotation } = rootCA.rotation;
        rootCA.rotation = rotation;
      }
      view = { ...view, rootCA };
    }
    if ('unlockKey' in view) {
      const { unlockKey: _unlock, ...rest } = view;
      view = rest;
    }
    return view;
  }
  return object;
}

/**
 * JSON.stringify replacer: byte arrays become base64, as in Docker's JSON. It reads the holder's
 * raw field (`this[key]`) because a Buffer's own toJSON runs first and is not base64. A replacer
 * instead of a converted copy: lists of thousands of objects are encoded on the request path.
 */
function bytesAsBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array)
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}
