// Readers shared by several object families: drivers (log, volume, secret, templating) and the
// name rules of Docker's objects.

import { compact, Fields, nonEmptyString, stringMap, type Check } from './checks.js';
import type { Driver } from './service-spec.js';

export const readDriver: Check<Driver> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'options']);
  return compact({ name: f.required('name', nonEmptyString), options: f.optional('options', stringMap()) });
};

/** SwarmKit's service (and cluster) names: a DNS label of letters and digits joined by - or _. */
export const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
export const DNS_NAME_RULE =
  'must start and end with a letter or digit and contain only letters, digits, - and _';
export const MAX_DNS_NAME_LENGTH = 63;

/** SwarmKit's secret and config names. */
export const SECRET_NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
export const SECRET_NAME_RULE =
  'must start and end with a letter or digit and contain only letters, digits, -, _ and .';
export const MAX_SECRET_NAME_LENGTH = 64;
