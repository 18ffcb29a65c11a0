// Validation of a NodeSpec, the part of a node an operator changes (`docker node update`):
// its name, labels, role and availability. The rest of a node is reported, not requested.

import { compact, Fields, labels, oneOf, string, type Check } from './checks.js';
import type { NodeSpec } from './objects.js';

export const readNodeSpec: Check<NodeSpec> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'labels', 'role', 'availability']);
  return compact({
    name: f.optional('name', string({ maxLength: 255 })),
    labels: f.optional('labels', labels),
    // Required as in Docker, whose API converts an empty role or availability to an error.
    role: f.required('role', oneOf(['worker', 'manager'] as const)),
    availability: f.required('availability', oneOf(['active', 'pause', 'drain'] as const)),
  });
};
