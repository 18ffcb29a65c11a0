// The compose library's public face: compose files to stacks the way `docker stack deploy` does
// it — load (YAML with positions, interpolation, several files merged), validate against the
// Compose specification, map to Flotilla specs, and deploy, list and remove stacks through a
// FlotillaClient. The `flotilla stack …` commands are thin shells over these functions.

export { ComposeError, formatProblem } from './problems.js';
export type { ComposeProblem, Severity, SourcePosition } from './problems.js';
export { interpolate, InterpolationError, parseEnvFile } from './interpolate.js';
export type { Lookup } from './interpolate.js';
export { loadComposeFiles, parseComposeText } from './load.js';
export type { LoadedFile, LoadOptions } from './load.js';
export { loadProject, projectFromFiles } from './project.js';
export type { ComposeModel, ComposeProject, ServiceShape } from './project.js';
export { COMPOSE_FILE, SERVICE_FIELDS } from './schema.js';
export type { Field, Support, ValueType } from './schema.js';
export { planStack, SECRET_DIGEST_LABEL, STACK_IMAGE_LABEL, STACK_NAMESPACE_LABEL } from './convert.js';
export type {
  DependencyCondition,
  PlannedConfig,
  PlannedSecret,
  PlannedService,
  PlanOptions,
  ServiceDependency,
  StackPlan,
} from './convert.js';
export { shellSplit } from './shell-split.js';
export { parseBytes, parseCpus, parseDuration } from './units.js';
export { deployPlan, deployStack, StackDeployError } from './deploy.js';
export type { DeployedService, DeployEvent, DeployOptions, DeployResult } from './deploy.js';
export { listStacks, removeStack, stackProgress, stackServices, stackTasks, waitForStack } from './stacks.js';
export type { RemoveResult, StackSummary, WaitOptions } from './stacks.js';
export { dependencySatisfied, serviceProgress } from './readiness.js';
export type { ServiceProgress } from './readiness.js';
export type { StackClient } from './stack-client.js';
