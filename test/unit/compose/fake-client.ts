// An in-memory stand-in for the parts of FlotillaClient the stack functions call, recording every
// write in order. Tasks are whatever the test says a service runs at the moment.

import {
  withServiceDefaults,
  type Config,
  type Secret,
  type Service,
  type ServiceSpec,
  type Task,
} from '../../../src/api/index.js';
import type { StackClient } from './imports.js';

type Filter = {
  names?: string | string[];
  idPrefixes?: string | string[];
  labels?: Record<string, string | null>;
};

const many = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

function matches(
  object: { id: string; spec: { name: string; labels?: Record<string, string> } },
  filter: Filter = {},
): boolean {
  const names = many(filter.names);
  if (names && !names.includes(object.spec.name)) return false;
  const ids = many(filter.idPrefixes);
  if (ids && !ids.some((p) => object.id.startsWith(p))) return false;
  for (const [key, value] of Object.entries(filter.labels ?? {})) {
    const have = object.spec.labels?.[key];
    if (have === undefined || (value !== null && have !== value)) return false;
  }
  return true;
}

const meta = (index: number) => ({
  version: { index },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

export class FakeClient implements StackClient {
  version = 1;
  readonly services = new Map<string, Service>();
  readonly secrets = new Map<string, Secret & { data: Uint8Array }>();
  readonly configs = new Map<string, Config>();
  /** Every write, in order: `createService st_db`, `updateService st_web`, … */
  readonly writes: string[] = [];
  /** The tasks each service runs now, by service name; default none. */
  tasksOf: (service: Service) => Task[] = () => [];
  private nextId = 1;

  private id(prefix: string): string {
    return `${prefix}${String(this.nextId++).padStart(4, '0')}`;
  }

  async listServices(filter?: Filter): Promise<Service[]> {
    return [...this.services.values()].filter((s) => matches(s, filter)).map((s) => structuredClone(s));
  }

  async createService(spec: ServiceSpec) {
    const id = this.id('svc');
    const version = ++this.version;
    // As the manager does: the stored spec has the defaults filled in.
    this.services.set(id, { id, meta: meta(version), spec: withServiceDefaults(spec) });
    this.writes.push(`createService ${spec.name}`);
    return { id, version };
  }

  async updateService(id: string, version: number, spec: ServiceSpec) {
    const current = this.services.get(id);
    if (current === undefined) throw new Error(`no service ${id}`);
    if (current.meta.version.index !== version) throw new Error('version conflict');
    const next = ++this.version;
    this.services.set(id, {
      ...current,
      meta: meta(next),
      spec: structuredClone(spec),
      previousSpec: current.spec,
    });
    this.writes.push(`updateService ${spec.name}`);
    return { id, version: next };
  }

  async removeService(id: string) {
    const current = this.services.get(id);
    this.services.delete(id);
    this.writes.push(`removeService ${current?.spec.name}`);
    return { id, version: ++this.version };
  }

  async listTasks(filter?: { services?: string | string[] }): Promise<Task[]> {
    const ids = many(filter?.services) ?? [...this.services.keys()];
    return ids.flatMap((id) => {
      const service = this.services.get(id);
      return service === undefined ? [] : this.tasksOf(service);
    });
  }

  async listSecrets(filter?: Filter): Promise<Secret[]> {
    return [...this.secrets.values()]
      .filter((s) => matches(s, filter))
      .map(({ data: _data, ...s }) => ({ ...s, spec: { ...s.spec, data: undefined } }));
  }

  async createSecret(spec: { name: string; labels?: Record<string, string>; data?: Uint8Array | string }) {
    const id = this.id('sec');
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data) : (spec.data ?? new Uint8Array());
    this.secrets.set(id, {
      id,
      meta: meta(++this.version),
      spec: { name: spec.name, labels: spec.labels ?? {} },
      data,
    });
    this.writes.push(`createSecret ${spec.name}`);
    return { id, version: this.version };
  }

  async removeSecret(id: string) {
    this.writes.push(`removeSecret ${this.secrets.get(id)?.spec.name}`);
    this.secrets.delete(id);
    return { id, version: ++this.version };
  }

  async listConfigs(filter?: Filter): Promise<Config[]> {
    return [...this.configs.values()].filter((c) => matches(c, filter)).map((c) => structuredClone(c));
  }

  async createConfig(spec: { name: string; labels?: Record<string, string>; data: Uint8Array | string }) {
    const id = this.id('cfg');
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data) : spec.data;
    this.configs.set(id, {
      id,
      meta: meta(++this.version),
      spec: { name: spec.name, labels: spec.labels ?? {}, data },
    });
    this.writes.push(`createConfig ${spec.name}`);
    return { id, version: this.version };
  }

  async removeConfig(id: string) {
    this.writes.push(`removeConfig ${this.configs.get(id)?.spec.name}`);
    this.configs.delete(id);
    return { id, version: ++this.version };
  }
}

/** A task of the service in the given state (desired running). */
export function task(service: Service, slot: number, state: Task['status']['state']): Task {
  return {
    id: `${service.id}-t${slot}`,
    meta: meta(1),
    labels: {},
    spec: service.spec.taskTemplate,
    serviceId: service.id,
    slot,
    status: { timestamp: '2026-01-01T00:00:00Z', state, message: state },
    desiredState: 'running',
  };
}
