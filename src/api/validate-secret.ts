// Validation of SecretSpec and ConfigSpec: Docker's name rule for them, and their data, which
// arrives as base64 (Docker's JSON) or as bytes (gRPC, internal callers) and is kept as bytes.
// Size limits are SwarmKit's: a secret under 500 KiB, a config under 1000 KiB.

import { compact, fail, Fields, labels, string, type Check } from './checks.js';
import type { ConfigSpec, SecretSpec } from './objects.js';
import { MAX_SECRET_NAME_LENGTH, readDriver, SECRET_NAME, SECRET_NAME_RULE } from './validate-common.js';

/** SwarmKit's api/validation MaxSecretSize: data must be shorter than this. */
export const MAX_SECRET_BYTES = 500 * 1024;
/** SwarmKit's controlapi MaxConfigSize. */
export const MAX_CONFIG_BYTES = 1000 * 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const secretName = string({
  nonEmpty: true,
  maxLength: MAX_SECRET_NAME_LENGTH,
  pattern: [SECRET_NAME, SECRET_NAME_RULE],
});

/** Data of at least 1 byte and under `limit` bytes, from base64 or bytes; always a fresh copy. */
function data(limit: number): Check<Uint8Array> {
  const sizeRule = `must be at least 1 byte and less than ${limit} bytes`;
  return (value, path) => {
    let bytes: Uint8Array;
    if (value instanceof Uint8Array) {
      bytes = Uint8Array.from(value);
    } else if (typeof value === 'string') {
      // Refuse before decoding: base64 of `limit` bytes is 4/3 as long.
      if (value.length > Math.ceil(limit / 3) * 4) fail(path, sizeRule);
      if (!BASE64.test(value)) fail(path, 'must be base64 (standard alphabet, padded)');
      bytes = Uint8Array.from(Buffer.from(value, 'base64'));
    } else {
      fail(path, 'must be a base64 string');
    }
    if (bytes.length < 1 || bytes.length >= limit) fail(path, sizeRule);
    return bytes;
  };
}

export const readSecretSpec: Check<SecretSpec> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'labels', 'data', 'driver', 'templating']);
  const spec: SecretSpec = compact({
    name: f.required('name', secretName),
    labels: f.optional('labels', labels),
    driver: f.optional('driver', readDriver),
    templating: f.optional('templating', readDriver),
  });
  // With a driver the value lives in an external store (SwarmKit then ignores data).
  if (spec.driver !== undefined) {
    if (f.has('data')) fail(f.at('data'), 'not allowed with a driver');
  } else {
    spec.data = f.required('data', data(MAX_SECRET_BYTES));
  }
  return spec;
};

export const readConfigSpec: Check<ConfigSpec> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'labels', 'data', 'templating']);
  return compact({
    name: f.required('name', secretName),
    labels: f.optional('labels', labels),
    data: f.required('data', data(MAX_CONFIG_BYTES)),
    templating: f.optional('templating', readDriver),
  });
};
