// What mapping a compose project produces: the stack's services (in depends_on order), secrets
// and configs as Flotilla specs, and the labels `docker stack deploy` puts on them.

import type { ConfigSpec, SecretSpec, ServiceSpec } from '../api/index.js';
import type { ComposeProblem } from './problems.js';

/** docker/cli convert.LabelNamespace: on every object of a stack. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** docker/cli convert.LabelImage: the image as the compose file names it. */
export const STACK_IMAGE_LABEL = 'com.docker.stack.image';
/** Flotilla's own: a digest of a stack secret's data, since the API never returns the data. */
export const SECRET_DIGEST_LABEL = 'com.flotilla.stack.secret-digest';

export type DependencyCondition =
  'created' | 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceDependency {
  /** The compose name of the service depended on. */
  service: string;
  /** `created` for list syntax: only the order of creation. */
  condition: DependencyCondition;
}

export interface PlannedService {
  /** The compose name (`vote`); `spec.name` is the stack's (`voting_vote`). */
  name: string;
  /** Secret and config references carry empty ids, resolved by name when deploying. */
  spec: ServiceSpec;
  dependsOn: ServiceDependency[];
}

export interface PlannedSecret {
  /** The compose name (`db-password`). */
  key: string;
  spec: SecretSpec;
}

export interface PlannedConfig {
  key: string;
  spec: ConfigSpec;
}

/** Everything a deploy creates or updates, in dependency order, and what was warned about. */
export interface StackPlan {
  stack: string;
  services: PlannedService[];
  secrets: PlannedSecret[];
  configs: PlannedConfig[];
  /** Secrets and configs the file declares `external`: they must exist already. */
  externalSecrets: string[];
  externalConfigs: string[];
  warnings: ComposeProblem[];
}

export interface PlanOptions {
  /** Reads secret, config and env files; default fs.readFile. */
  readFile?: (path: string) => Promise<Uint8Array>;
}
