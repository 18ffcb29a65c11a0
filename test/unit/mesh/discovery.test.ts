// Service discovery: a name resolves to the tasks in rotation and their addresses, and watchers
// hear of a service only when its endpoints change.

import { describe, expect, it } from 'vitest';
import { computeServiceEndpoints, ServiceDirectory, type ServiceEndpoints } from '../../../src/mesh/index.js';
import { makeNode, makeService, makeTask } from './fixtures.js';

const nodes = [makeNode('n1', '10.0.0.1'), makeNode('n2', '10.0.0.2', 'down')];

function web() {
  const service = makeService('s1', [{ targetPort: 80, publishedPort: 8080 }], {}, 'web');
  service.endpoint = {
    spec: service.spec.endpointSpec!,
    ports: [{ targetPort: 80, publishedPort: 8080, protocol: 'tcp', publishMode: 'ingress' }],
    virtualIps: [{ networkId: 'net1', addr: '10.255.0.5/16' }],
  };
  return service;
}

function attached(taskId: string, nodeId: string, addr: string) {
  const task = makeTask(taskId, 's1', nodeId);
  task.networksAttachments = [{ networkId: 'net1', addresses: [`${addr}/16`] }];
  return task;
}

describe('computeServiceEndpoints', () => {
  it('resolves a service name to its running tasks, their addresses, its VIPs and published ports', () => {
    const tasks = [
      attached('t2', 'n1', '10.255.0.8'),
      attached('t1', 'n1', '10.255.0.7'),
      attached('t3', 'n2', '10.255.0.9'), // node down
      makeTask('t4', 's1', 'n1', 'running', 'shutdown'), // stopping
    ];
    const web1 = computeServiceEndpoints([web()], tasks, nodes).get('web');
    expect(web1).toEqual({
      serviceId: 's1',
      name: 'web',
      virtualIps: ['10.255.0.5'],
      publishedPorts: [{ protocol: 'tcp', publishedPort: 8080, targetPort: 80 }],
      tasks: [
        { taskId: 't1', nodeId: 'n1', nodeAddress: '10.0.0.1', addresses: ['10.255.0.7'] },
        { taskId: 't2', nodeId: 'n1', nodeAddress: '10.0.0.1', addresses: ['10.255.0.8'] },
      ],
    });
  });
});

describe('ServiceDirectory', () => {
  it('publishes a service again only when its endpoints change, and null once it is gone', () => {
    const directory = new ServiceDirectory();
    const heard: Array<ServiceEndpoints | null> = [];
    const unsubscribe = directory.watch('web', (e) => heard.push(e));
    expect(heard).toEqual([null]);

    directory.update([web()], [attached('t1', 'n1', '10.255.0.7')], nodes);
    expect(heard.at(-1)?.tasks.map((t) => t.taskId)).toEqual(['t1']);
    directory.update([web()], [attached('t1', 'n1', '10.255.0.7')], nodes);
    expect(heard).toHaveLength(2); // nothing changed: nothing published
    directory.update(
      [web()],
      [attached('t1', 'n1', '10.255.0.7'), attached('t2', 'n1', '10.255.0.8')],
      nodes,
    );
    expect(heard.at(-1)?.tasks.map((t) => t.taskId)).toEqual(['t1', 't2']);
    expect(directory.resolve('web')?.tasks).toHaveLength(2);
    directory.update([], [], nodes);
    expect(heard.at(-1)).toBeNull();
    expect(directory.resolve('web')).toBeNull();

    unsubscribe();
    directory.update([web()], [], nodes);
    expect(heard).toHaveLength(4);
  });
});
