import { describe, expect, it } from 'vitest';
import { parseCommandLine, type CommandDef } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/cli/errors.js';
import type { ServiceSpec } from '../../../src/api/index.js';
import {
  applyServiceUpdate,
  buildServiceSpec,
  generatedName,
  referencedNames,
  type ReferenceIds,
} from '../../../src/cli/service-spec.js';
import { serviceCreateFlags, serviceUpdateFlags } from '../../../src/cli/service-flags.js';
import {
  csvFields,
  parseFileReference,
  parseMount,
  parsePublish,
  shellWords,
} from '../../../src/cli/service-options.js';

const createDef: CommandDef = {
  path: 'service create',
  usage: '',
  summary: '',
  flags: serviceCreateFlags,
  args: [1, Infinity],
  stopAtFirstPositional: true,
};
const updateDef: CommandDef = {
  path: 'service update',
  usage: '',
  summary: '',
  flags: serviceUpdateFlags,
  args: [1, 1],
};

const refs: ReferenceIds = {
  secrets: new Map([
    ['db-password', 'sec1'],
    ['api-key', 'sec2'],
  ]),
  configs: new Map([['nginx.conf', 'cfg1']]),
};

function create(...argv: string[]): ServiceSpec {
  const { flags, args } = parseCommandLine(createDef, argv);
  return buildServiceSpec(args[0]!, args.slice(1), flags, refs);
}

function update(current: ServiceSpec, ...argv: string[]): ServiceSpec {
  const { flags } = parseCommandLine(updateDef, [...argv, current.name]);
  return applyServiceUpdate(current, flags, refs);
}

describe('service create flags → ServiceSpec', () => {
  it('maps the common flags to the Docker API fields', () => {
    const spec = create(
      '--name=web',
      '--replicas',
      '3',
      '-e',
      'A=1',
      '--env',
      'B=2',
      '--label',
      'team=core',
      '--container-label',
      'c=d',
      '-p',
      '8080:80',
      '--publish',
      'published=53,target=53,protocol=udp,mode=host',
      '--constraint',
      'node.role==worker',
      '--placement-pref',
      'spread=node.labels.zone',
      '--limit-cpu',
      '0.5',
      '--limit-memory',
      '256M',
      '--reserve-memory',
      '64m',
      '--restart-condition',
      'on-failure',
      '--restart-delay',
      '5s',
      '--restart-max-attempts',
      '3',
      '--update-parallelism',
      '2',
      '--update-delay',
      '10s',
      '--update-order',
      'start-first',
      '--update-failure-action',
      'rollback',
      '--rollback-parallelism',
      '1',
      '--health-cmd',
      'wget -q -O- localhost',
      '--health-interval',
      '5s',
      '--health-retries',
      '3',
      '--stop-grace-period',
      '1s',
      '--workdir',
      '/srv',
      '--user',
      'nobody',
      '--entrypoint',
      'sh -c',
      'busybox:1',
      'echo hi',
    );
    expect(spec).toEqual({
      name: 'web',
      labels: { team: 'core' },
      mode: { replicated: { replicas: 3 } },
      taskTemplate: {
        containerSpec: {
          image: 'busybox:1',
          command: ['sh', '-c'],
          args: ['echo hi'],
          env: ['A=1', 'B=2'],
          labels: { c: 'd' },
          dir: '/srv',
          user: 'nobody',
          stopGracePeriod: 1e9,
          healthcheck: { test: ['CMD-SHELL', 'wget -q -O- localhost'], interval: 5e9, retries: 3 },
        },
        placement: {
          constraints: ['node.role==worker'],
          preferences: [{ spread: { spreadDescriptor: 'node.labels.zone' } }],
        },
        resources: {
          limits: { nanoCpus: 5e8, memoryBytes: 256 * 1024 ** 2 },
          reservations: { memoryBytes: 64 * 1024 ** 2 },
        },
        restartPolicy: { condition: 'on-failure', delay: 5e9, maxAttempts: 3 },
      },
      updateConfig: { parallelism: 2, delay: 10e9, order: 'start-first', failureAction: 'rollback' },
      rollbackConfig: { parallelism: 1 },
      endpointSpec: {
        ports: [
          { targetPort: 80, publishedPort: 8080 },
          { targetPort: 53, publishedPort: 53, protocol: 'udp', publishMode: 'host' },
        ],
      },
    });
  });

  it('maps the modes, jobs included', () => {
    expect(create('--mode', 'global', 'x').mode).toEqual({ global: {} });
    expect(create('--mode', 'global-job', 'x').mode).toEqual({ globalJob: {} });
    expect(create('--mode', 'replicated-job', '--replicas', '4', '--max-concurrent', '2', 'x').mode).toEqual({
      replicatedJob: { maxConcurrent: 2, totalCompletions: 4 },
    });
    expect(create('x').mode).toEqual({ replicated: { replicas: 1 } });
    expect(create('x').name).toBe('service');
    expect(() => create('--mode', 'global', '--replicas', '2', 'x')).toThrow(UsageError);
    expect(() => create('--mode', 'sometimes', 'x')).toThrow(/"--mode" flag: must be one of/);
  });

  it('references secrets and configs by id with docker default targets and modes', () => {
    const spec = create(
      '--secret',
      'db-password',
      '--secret',
      'source=api-key,target=key.txt,uid=100,mode=0400',
      '--config',
      'nginx.conf',
      'x',
    );
    expect(spec.taskTemplate.containerSpec.secrets).toEqual([
      {
        secretId: 'sec1',
        secretName: 'db-password',
        file: { name: 'db-password', uid: '0', gid: '0', mode: 0o444 },
      },
      {
        secretId: 'sec2',
        secretName: 'api-key',
        file: { name: 'key.txt', uid: '100', gid: '0', mode: 0o400 },
      },
    ]);
    expect(spec.taskTemplate.containerSpec.configs).toEqual([
      {
        configId: 'cfg1',
        configName: 'nginx.conf',
        file: { name: '/nginx.conf', uid: '0', gid: '0', mode: 0o444 },
      },
    ]);
  });

  it('lists the secret and config names to look up first', () => {
    const { flags } = parseCommandLine(createDef, [
      '--secret',
      'a',
      '--secret',
      'source=b,target=c',
      '--config',
      'd',
      'x',
    ]);
    expect(referencedNames(flags)).toEqual({ secrets: ['a', 'b'], configs: ['d'] });
  });

  it('refuses --no-healthcheck with a health setting, and bad enumerations, naming the flag', () => {
    expect(() => create('--no-healthcheck', '--health-cmd', 'true', 'x')).toThrow(
      '--no-healthcheck conflicts with --health-cmd',
    );
    expect(create('--no-healthcheck', 'x').taskTemplate.containerSpec.healthcheck).toEqual({
      test: ['NONE'],
    });
    expect(() => create('--restart-condition', 'sometimes', 'x')).toThrow(/"--restart-condition" flag/);
    expect(() => create('--rollback-failure-action', 'rollback', 'x')).toThrow(
      /"--rollback-failure-action" flag/,
    );
    expect(() => create('--update-max-failure-ratio', '2', 'x')).toThrow(/between 0 and 1/);
  });
});

describe('service update flags → the new spec', () => {
  const current: ServiceSpec = {
    name: 'web',
    labels: { a: '1', b: '2' },
    mode: { replicated: { replicas: 2 } },
    taskTemplate: {
      containerSpec: {
        image: 'nginx:1.26',
        env: ['A=1', 'B=2'],
        mounts: [{ type: 'volume', source: 'data', target: '/data' }],
        secrets: [{ secretId: 'sec1', secretName: 'db-password', file: { name: 'db-password' } }],
      },
      placement: { constraints: ['node.role==worker'] },
      forceUpdate: 1,
    },
    endpointSpec: { ports: [{ targetPort: 80, publishedPort: 8080 }] },
  };

  it('changes only what the flags name', () => {
    const next = update(current, '--image', 'nginx:1.27');
    expect(next).toEqual({
      ...current,
      taskTemplate: {
        ...current.taskTemplate,
        containerSpec: { ...current.taskTemplate.containerSpec, image: 'nginx:1.27' },
      },
    });
    // The current spec is not modified.
    expect(current.taskTemplate.containerSpec.image).toBe('nginx:1.26');
  });

  it('adds and removes env, labels, mounts, secrets, ports and constraints by key', () => {
    const next = update(
      current,
      '--env-add',
      'B=3',
      '--env-add',
      'C=4',
      '--env-rm',
      'A',
      '--label-add',
      'c=3',
      '--label-rm',
      'a',
      '--mount-rm',
      '/data',
      '--mount-add',
      'type=tmpfs,target=/tmp,tmpfs-size=64m',
      '--secret-rm',
      'db-password',
      '--secret-add',
      'api-key',
      '--publish-rm',
      '80',
      '--publish-add',
      '9090:90',
      '--constraint-rm',
      'node.role==worker',
      '--constraint-add',
      'node.labels.zone==a',
    );
    const c = next.taskTemplate.containerSpec;
    expect(c.env).toEqual(['B=3', 'C=4']);
    expect(next.labels).toEqual({ b: '2', c: '3' });
    expect(c.mounts).toEqual([
      { type: 'tmpfs', target: '/tmp', tmpfsOptions: { sizeBytes: 64 * 1024 ** 2 } },
    ]);
    expect(c.secrets).toEqual([
      { secretId: 'sec2', secretName: 'api-key', file: { name: 'api-key', uid: '0', gid: '0', mode: 0o444 } },
    ]);
    expect(next.endpointSpec?.ports).toEqual([{ targetPort: 90, publishedPort: 9090 }]);
    expect(next.taskTemplate.placement?.constraints).toEqual(['node.labels.zone==a']);
  });

  it('scales, forces a restart of every task and changes update settings', () => {
    const next = update(
      current,
      '--replicas',
      '5',
      '--force',
      '--update-parallelism',
      '1',
      '--args',
      'sleep "1 000"',
    );
    expect(next.mode).toEqual({ replicated: { replicas: 5 } });
    expect(next.taskTemplate.forceUpdate).toBe(2);
    expect(next.updateConfig).toEqual({ parallelism: 1 });
    expect(next.taskTemplate.containerSpec.args).toEqual(['sleep', '1 000']);
  });

  it('refuses --replicas on a global service', () => {
    expect(() => update({ ...current, mode: { global: {} } }, '--replicas', '2')).toThrow(UsageError);
  });
});

describe('a service created without --name', () => {
  it('is named after its image with a random suffix, a valid DNS label', () => {
    let i = 0;
    const random = (): number => [0, 0.5, 0.99, 0.1][i++ % 4]!;
    expect(generatedName('registry:5000/team/nginx:1.27@sha256:abc', random)).toBe('nginx-0iz3');
    expect(generatedName('_weird.image', random)).toMatch(/^weird-image-[0-9a-z]{4}$/);
  });
});

describe("docker's option syntaxes", () => {
  it('reads csv fields with quotes', () => {
    expect(csvFields('type=bind,"source=/a,b",readonly')).toEqual([
      ['type', 'bind'],
      ['source', '/a,b'],
      ['readonly', undefined],
    ]);
  });

  it('reads --mount', () => {
    expect(parseMount('type=bind,src=/host,dst=/ctr,ro=true,bind-propagation=rshared')).toEqual({
      type: 'bind',
      source: '/host',
      target: '/ctr',
      readOnly: true,
      bindOptions: { propagation: 'rshared' },
    });
    expect(parseMount('source=vol,target=/v,volume-label=a=b,volume-nocopy')).toEqual({
      type: 'volume',
      source: 'vol',
      target: '/v',
      volumeOptions: { labels: { a: 'b' }, noCopy: true },
    });
    expect(() => parseMount('type=bind,source=/a')).toThrow('target is required');
    expect(() => parseMount('type=nfs,target=/a')).toThrow(/type=nfs: must be one of bind, volume, tmpfs/);
    expect(() => parseMount('type=bind,target=/a,tmpfs-size=1m')).toThrow(/tmpfs options need type=tmpfs/);
    expect(() => parseMount('target=/a,colour=blue')).toThrow(/unknown option 'colour'/);
  });

  it('reads --publish short and long forms', () => {
    expect(parsePublish('80')).toEqual({ targetPort: 80 });
    expect(parsePublish('8080:80/udp')).toEqual({ targetPort: 80, publishedPort: 8080, protocol: 'udp' });
    expect(parsePublish('target=80,published=8080,mode=host')).toEqual({
      targetPort: 80,
      publishedPort: 8080,
      publishMode: 'host',
    });
    expect(() => parsePublish('70000:80')).toThrow(/published must be between 1 and 65535/);
    expect(() => parsePublish('published=80')).toThrow(/target is required/);
  });

  it('reads --secret and --config references', () => {
    expect(parseFileReference('s', 'secret')).toEqual({ source: 's', target: 's' });
    expect(parseFileReference('c', 'config')).toEqual({ source: 'c', target: '/c' });
    expect(parseFileReference('src=c,target=/etc/c,mode=0440', 'config')).toEqual({
      source: 'c',
      target: '/etc/c',
      mode: 0o440,
    });
    expect(() => parseFileReference('target=/x', 'secret')).toThrow(/source is required/);
    expect(() => parseFileReference('source=x,mode=999', 'secret')).toThrow(/must be octal/);
  });

  it('splits shell words', () => {
    expect(shellWords(`sh -c 'echo "a b"' x\\ y`, 'entrypoint')).toEqual(['sh', '-c', 'echo "a b"', 'x y']);
    expect(() => shellWords(`sh -c 'oops`, 'entrypoint')).toThrow(/unterminated quote/);
  });
});
