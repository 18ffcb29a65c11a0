// Reading and removing stacks: a stack is the set of services, secrets and configs labelled
// `com.docker.stack.namespace=<name>` (as docker/cli's stack ls|ps|services|rm find them).

import type { Config, Secret, Service, Task } from '../api/index.js';
import { STACK_NAMESPACE_LABEL } from './convert.js';
import { serviceProgress, type ServiceProgress } from './readiness.js';
import { StackDeployError } from './deploy.js';
import { sleep } from './sleep.js';
import type { StackClient } from './stack-client.js';

export interface StackSummary {
  name: string;
  services: number;
}

/** `stack ls`: every stack that has services, by name. */
export async function listStacks(client: Pick<StackClient, 'listServices'>): Promise<StackSummary[]> {
  const counts = new Map<string, number>();
  for (const service of await client.listServices({ labels: { [STACK_NAMESPACE_LABEL]: null } })) {
    const stack = service.spec.labels?.[STACK_NAMESPACE_LABEL];
    if (stack !== undefined) counts.set(stack, (counts.get(stack) ?? 0) + 1);
  }
  return [...counts]
    .map(([name, services]) => ({ name, services }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `stack services`: the stack's services, by name. */
export async function stackServices(
  client: Pick<StackClient, 'listServices'>,
  stack: string,
): Promise<Service[]> {
  const services = await client.listServices({ labels: { [STACK_NAMESPACE_LABEL]: stack } });
  return services.sort((a, b) => a.spec.name.localeCompare(b.spec.name));
}

/** `stack ps`: the tasks of the stack's services. */
export async function stackTasks(
  client: Pick<StackClient, 'listServices' | 'listTasks'>,
  stack: string,
): Promise<Task[]> {
  const services = await stackServices(client, stack);
  if (services.length === 0) return [];
  return client.listTasks({ services: services.map((s) => s.id) });
}

/** Each service of the stack and how far it is from converged (the CLI's progress bars). */
export async function stackProgress(
  client: Pick<StackClient, 'listServices' | 'listTasks'>,
  stack: string,
): Promise<ServiceProgress[]> {
  const services = await stackServices(client, stack);
  if (services.length === 0) return [];
  const tasks = await client.listTasks({ services: services.map((s) => s.id) });
  return services.map((service) => serviceProgress(service, tasks));
}

export interface WaitOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ServiceProgress[]) => void;
}

/** Waits until every service of the stack has converged; throws StackDeployError naming those that did not. */
export async function waitForStack(
  client: Pick<StackClient, 'listServices' | 'listTasks'>,
  stack: string,
  options: WaitOptions = {},
): Promise<ServiceProgress[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  for (;;) {
    options.signal?.throwIfAborted();
    const progress = await stackProgress(client, stack);
    options.onProgress?.(progress);
    if (progress.length > 0 && progress.every((p) => p.converged)) return progress;
    if (Date.now() >= deadline) {
      const behind = progress
        .filter((p) => !p.converged)
        .map(
          (p) => `${p.name} ${p.running}/${p.desired}${p.lastError === undefined ? '' : ` (${p.lastError})`}`,
        );
      throw new StackDeployError(
        `stack ${stack} did not converge: ${behind.join(', ') || 'it has no services'}`,
      );
    }
    await sleep(options.pollIntervalMs ?? 500, options.signal);
  }
}

export interface RemoveResult {
  services: string[];
  secrets: string[];
  configs: string[];
}

/** `stack rm`: the services first, then the secrets and configs they used. */
export async function removeStack(client: StackClient, stack: string): Promise<RemoveResult> {
  const selector = { labels: { [STACK_NAMESPACE_LABEL]: stack } };
  const services = await client.listServices(selector);
  for (const service of services) await client.removeService(service.id);
  const secrets: Secret[] = await client.listSecrets(selector);
  for (const secret of secrets) await client.removeSecret(secret.id);
  const configs: Config[] = await client.listConfigs(selector);
  for (const config of configs) await client.removeConfig(config.id);
  return {
    services: services.map((s) => s.spec.name).sort(),
    secrets: secrets.map((s) => s.spec.name).sort(),
    configs: configs.map((c) => c.spec.name).sort(),
  };
}
