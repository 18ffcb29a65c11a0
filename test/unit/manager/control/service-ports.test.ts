// Published port conflicts through the control API: a create or update that publishes a port
// another service holds is refused with a ValidationError naming the field, before anything is
// proposed. A real gRPC server on 127.0.0.1 over a single-member Raft, through FlotillaClient.

import { afterEach, describe, expect, it } from 'vitest';
import type { PortConfig, ServiceSpec } from '../../../../src/api/index.js';
import { ValidationError } from '../../../../src/index.js';
import { startTestManager } from '../../../support/control-harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startManager() {
  const manager = await startTestManager('m1', cleanups);
  await manager.node.waitForLeader(5_000);
  return manager;
}

const spec = (name: string, ports: PortConfig[]): ServiceSpec => ({
  name,
  taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
  endpointSpec: { ports },
});

describe('the control API: published port conflicts', () => {
  it('refuses to create a service publishing an ingress port another service publishes', async () => {
    const { client, store } = await startManager();
    await client.createService(spec('web', [{ targetPort: 80, publishedPort: 8080 }]));
    const before = store.version;
    const err: unknown = await client
      .createService(
        spec('api', [
          { targetPort: 81, publishedPort: 9000 },
          { targetPort: 80, publishedPort: 8080 },
        ]),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({
      path: 'spec.endpointSpec.ports[1].publishedPort',
      rule: 'port 8080/tcp is already published by service web',
    });
    expect(store.version).toBe(before);
  });

  it('accepts the same number on another protocol, and in host mode next to host mode', async () => {
    const { client } = await startManager();
    await client.createService(spec('web', [{ targetPort: 80, publishedPort: 8080 }]));
    await client.createService(spec('dns', [{ targetPort: 53, publishedPort: 8080, protocol: 'udp' }]));
    await client.createService(spec('h1', [{ targetPort: 80, publishedPort: 7000, publishMode: 'host' }]));
    await client.createService(spec('h2', [{ targetPort: 80, publishedPort: 7000, publishMode: 'host' }]));
    expect((await client.listServices()).map((s) => s.spec.name).sort()).toEqual(['dns', 'h1', 'h2', 'web']);
  });

  it('refuses host mode on a port published through the routing mesh', async () => {
    const { client } = await startManager();
    await client.createService(spec('web', [{ targetPort: 80, publishedPort: 8080 }]));
    await expect(
      client.createService(spec('local', [{ targetPort: 80, publishedPort: 8080, publishMode: 'host' }])),
    ).rejects.toMatchObject({
      path: 'spec.endpointSpec.ports[0].publishedPort',
      rule: 'port 8080/tcp is already published by service web in ingress mode (on every node)',
    });
  });

  it('lets a service keep its own ports on update but not take another’s', async () => {
    const { client } = await startManager();
    const web = await client.createService(spec('web', [{ targetPort: 80, publishedPort: 8080 }]));
    const api = await client.createService(spec('api', [{ targetPort: 80, publishedPort: 9000 }]));
    await client.updateService('web', web.version, spec('web', [{ targetPort: 8000, publishedPort: 8080 }]));
    await expect(
      client.updateService('api', api.version, spec('api', [{ targetPort: 80, publishedPort: 8080 }])),
    ).rejects.toMatchObject({ rule: 'port 8080/tcp is already published by service web' });
  });
});
