// The validators: one per input type, each turning `unknown` (JSON from a user, a decoded gRPC
// message) into a typed spec or throwing ValidationError for the first broken rule. Each first
// bounds the input's size and depth, then reads it field by field into a fresh object, so the
// result shares nothing with the input and carries no field the model does not know.

import type {
  ClusterSpec,
  ConfigSpec,
  NodeDescription,
  NodeSpec,
  SecretSpec,
  TaskStatus,
} from './objects.js';
import { checkPayloadSize } from './payload-size.js';
import type { ServiceSpec } from './service-spec.js';
import { readClusterSpec } from './validate-cluster.js';
import { readNodeSpec } from './validate-node.js';
import { readNodeDescription, readTaskStatus } from './validate-report.js';
import { readConfigSpec, readSecretSpec } from './validate-secret.js';
import { readServiceSpec } from './validate-service.js';

export function validateServiceSpec(input: unknown, path = 'spec'): ServiceSpec {
  checkPayloadSize(input, path);
  return readServiceSpec(input, path);
}

export function validateNodeSpec(input: unknown, path = 'spec'): NodeSpec {
  checkPayloadSize(input, path);
  return readNodeSpec(input, path);
}

/** `data` may be base64 (Docker's JSON) or bytes; the result holds bytes. */
export function validateSecretSpec(input: unknown, path = 'spec'): SecretSpec {
  checkPayloadSize(input, path, undefined, ['data']);
  return readSecretSpec(input, path);
}

/** `data` may be base64 (Docker's JSON) or bytes; the result holds bytes. */
export function validateConfigSpec(input: unknown, path = 'spec'): ConfigSpec {
  checkPayloadSize(input, path, undefined, ['data']);
  return readConfigSpec(input, path);
}

export function validateClusterSpec(input: unknown, path = 'spec'): ClusterSpec {
  checkPayloadSize(input, path);
  return readClusterSpec(input, path);
}

/** What a node says about itself when its session opens. */
export function validateNodeDescription(input: unknown, path = 'description'): NodeDescription {
  checkPayloadSize(input, path);
  return readNodeDescription(input, path);
}

/** A task's status as its worker reports it. */
export function validateTaskStatus(input: unknown, path = 'status'): TaskStatus {
  checkPayloadSize(input, path);
  return readTaskStatus(input, path);
}
