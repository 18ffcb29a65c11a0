// ContainerSpec validation: each field family (image, process, env, mounts, health check, DNS,
// secrets and configs, capabilities, ulimits) accepts what Docker accepts and names the broken field.

import { describe, expect, it } from 'vitest';
import { validateServiceSpec } from '../../../src/api/index.js';
import { expectRejected, minimalService, withField } from './helpers.js';

const C = 'taskTemplate.containerSpec';
const P = `spec.${C}`;

function withContainer(fields: Record<string, unknown>): Record<string, unknown> {
  return withField(minimalService(), C, { image: 'nginx', ...fields });
}

describe('ContainerSpec validation', () => {
  it('accepts a container spec using every field', () => {
    const containerSpec = {
      image: 'registry.example.com:5000/team/api:1.4.2',
      labels: { 'com.example.role': 'api' },
      command: ['/bin/server'],
      args: ['--port', '8080'],
      hostname: '{{.Service.Name}}-{{.Task.Slot}}',
      env: ['MODE=production', 'EMPTY=', 'URL=postgres://db/x?a=b'],
      dir: '/srv',
      user: '1000:1000',
      groups: ['video'],
      tty: false,
      openStdin: false,
      readOnly: true,
      mounts: [
        {
          type: 'bind',
          source: '/var/log',
          target: '/logs',
          readOnly: true,
          bindOptions: { propagation: 'rslave' },
        },
        {
          type: 'volume',
          source: 'data',
          target: '/data',
          volumeOptions: { noCopy: true, labels: { a: 'b' } },
        },
        { type: 'volume', target: '/cache' },
        { type: 'tmpfs', target: '/tmp', tmpfsOptions: { sizeBytes: 65536, mode: 0o1777 } },
      ],
      stopSignal: 'SIGQUIT',
      stopGracePeriod: 30_000_000_000,
      healthcheck: {
        test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
        interval: 10_000_000_000,
        timeout: 2_000_000_000,
        retries: 3,
        startPeriod: 0,
      },
      dnsConfig: { nameservers: ['10.0.0.2', '2001:db8::1'], search: ['example.com'], options: ['ndots:2'] },
      secrets: [
        { file: { name: 'db_password', uid: '0', gid: '0', mode: 0o400 }, secretId: 'x1', secretName: 'db' },
      ],
      configs: [{ file: { name: '/etc/app.conf' }, configId: 'c1', configName: 'app' }],
      init: true,
      sysctls: { 'net.core.somaxconn': '1024' },
      capabilityAdd: ['CAP_NET_ADMIN'],
      capabilityDrop: ['ALL'],
      ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }],
    };
    const spec = validateServiceSpec(withField(minimalService(), C, containerSpec));
    expect(spec.taskTemplate.containerSpec).toEqual(containerSpec);
  });

  it.each([
    'nginx',
    'nginx:1.27-alpine',
    'library/nginx',
    'docker.io/library/nginx:latest',
    'localhost/app',
    'localhost:5000/app:v1',
    '[::1]:5000/app',
    'ghcr.io/org/sub/app@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
    'my_app__x-y.z',
  ])('accepts the image reference %s', (image) => {
    expect(validateServiceSpec(withContainer({ image })).taskTemplate.containerSpec.image).toBe(image);
  });

  it.each([
    'Nginx',
    'nginx:',
    'nginx::1',
    'nginx:has space',
    '-nginx',
    'nginx@sha256:short',
    'a'.repeat(256),
    '0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
    'nginx/',
  ])('refuses the image reference %s', (image) => {
    expectRejected(
      () => validateServiceSpec(withContainer({ image })),
      `${P}.image`,
      'must be a valid image reference',
    );
  });

  const rejections: Array<[string, Record<string, unknown>, string, string]> = [
    ['a missing image', { image: undefined }, `${P}.image`, 'required'],
    ['an empty image', { image: '' }, `${P}.image`, 'must not be empty'],
    ['a command given as one string', { command: 'nginx -g' }, `${P}.command`, 'must be an array'],
    ['a non-string argument', { args: ['--port', 8080] }, `${P}.args[1]`, 'must be a string'],
    [
      'an env entry without =',
      { env: ['A=1', 'MODE'] },
      `${P}.env[1]`,
      'must be KEY=VALUE with a non-empty KEY',
    ],
    ['an env entry without a key', { env: ['=x'] }, `${P}.env[0]`, 'must be KEY=VALUE with a non-empty KEY'],
    ['env given as a map', { env: { A: '1' } }, `${P}.env`, 'must be an array'],
    ['a relative working directory', { dir: 'srv' }, `${P}.dir`, 'must be an absolute path'],
    ['tty as a string', { tty: 'true' }, `${P}.tty`, 'must be a boolean'],
    [
      'a made-up stop signal',
      { stopSignal: 'SIG TERM' },
      `${P}.stopSignal`,
      'must be a signal name (SIGTERM) or number',
    ],
    [
      'a negative stop grace period',
      { stopGracePeriod: -1 },
      `${P}.stopGracePeriod`,
      'must be a non-negative integer (nanoseconds)',
    ],
    [
      'a fractional duration',
      { stopGracePeriod: 1.5 },
      `${P}.stopGracePeriod`,
      'must be a non-negative integer (nanoseconds)',
    ],
    ['a mount without a type', { mounts: [{ target: '/x' }] }, `${P}.mounts[0].type`, 'required'],
    [
      'an unknown mount type',
      { mounts: [{ type: 'nfs', target: '/x' }] },
      `${P}.mounts[0].type`,
      'must be one of bind, volume, tmpfs',
    ],
    ['a mount without a target', { mounts: [{ type: 'volume' }] }, `${P}.mounts[0].target`, 'required'],
    [
      'a relative mount target',
      { mounts: [{ type: 'volume', target: 'data' }] },
      `${P}.mounts[0].target`,
      'must be an absolute path',
    ],
    [
      'a bind mount without a source',
      { mounts: [{ type: 'bind', target: '/x' }] },
      `${P}.mounts[0].source`,
      'required for bind mounts',
    ],
    [
      'a bind mount of a relative path',
      { mounts: [{ type: 'bind', source: 'logs', target: '/x' }] },
      `${P}.mounts[0].source`,
      'must be an absolute path',
    ],
    [
      'a tmpfs mount with a source',
      { mounts: [{ type: 'tmpfs', source: '/x', target: '/x' }] },
      `${P}.mounts[0].source`,
      'must be empty for tmpfs mounts',
    ],
    [
      'volume options on a bind mount',
      { mounts: [{ type: 'bind', source: '/a', target: '/a', volumeOptions: {} }] },
      `${P}.mounts[0].volumeOptions`,
      'only allowed for volume mounts',
    ],
    [
      'tmpfs options on a volume',
      { mounts: [{ type: 'volume', target: '/a', tmpfsOptions: {} }] },
      `${P}.mounts[0].tmpfsOptions`,
      'only allowed for tmpfs mounts',
    ],
    [
      'an unknown propagation',
      { mounts: [{ type: 'bind', source: '/a', target: '/a', bindOptions: { propagation: 'up' } }] },
      `${P}.mounts[0].bindOptions.propagation`,
      'must be one of private, rprivate, shared, rshared, slave, rslave',
    ],
    [
      'two mounts on one target',
      {
        mounts: [
          { type: 'volume', target: '/d' },
          { type: 'tmpfs', target: '/d' },
        ],
      },
      `${P}.mounts[1].target`,
      'duplicate mount point /d',
    ],
    [
      'an unknown health check kind',
      { healthcheck: { test: ['RUN', 'x'] } },
      `${P}.healthcheck.test[0]`,
      'must be one of NONE, CMD, CMD-SHELL',
    ],
    [
      'CMD-SHELL with two strings',
      { healthcheck: { test: ['CMD-SHELL', 'a', 'b'] } },
      `${P}.healthcheck.test`,
      'CMD-SHELL takes exactly one command string',
    ],
    [
      'CMD without a command',
      { healthcheck: { test: ['CMD'] } },
      `${P}.healthcheck.test`,
      'CMD needs a command',
    ],
    [
      'NONE with arguments',
      { healthcheck: { test: ['NONE', 'x'] } },
      `${P}.healthcheck.test`,
      'NONE takes no arguments',
    ],
    [
      'a health interval under a millisecond',
      { healthcheck: { interval: 999_999 } },
      `${P}.healthcheck.interval`,
      'must be 0 or at least 1000000 (1ms)',
    ],
    [
      'negative health retries',
      { healthcheck: { retries: -1 } },
      `${P}.healthcheck.retries`,
      'must be at least 0',
    ],
    [
      'a nameserver that is not an address',
      { dnsConfig: { nameservers: ['dns.example.com'] } },
      `${P}.dnsConfig.nameservers[0]`,
      'must be an IP address',
    ],
    [
      'a secret without a target file',
      { secrets: [{ secretId: 'a', secretName: 'b' }] },
      `${P}.secrets[0].file`,
      'required',
    ],
    [
      'a secret without an id',
      { secrets: [{ file: { name: 'x' }, secretName: 'b' }] },
      `${P}.secrets[0].secretId`,
      'required',
    ],
    [
      'a secret with an empty file name',
      { secrets: [{ file: { name: '' }, secretId: 'a', secretName: 'b' }] },
      `${P}.secrets[0].file.name`,
      'must not be empty',
    ],
    [
      'a secret owner given as a number',
      { secrets: [{ file: { name: 'x', uid: 0 }, secretId: 'a', secretName: 'b' }] },
      `${P}.secrets[0].file.uid`,
      'must be a string',
    ],
    [
      'a secret owner that is a user name',
      { secrets: [{ file: { name: 'x', uid: 'root' }, secretId: 'a', secretName: 'b' }] },
      `${P}.secrets[0].file.uid`,
      'must be a numeric id as a string, such as "0"',
    ],
    [
      'a secret file mode above 0777',
      { secrets: [{ file: { name: 'x', mode: 0o4755 }, secretId: 'a', secretName: 'b' }] },
      `${P}.secrets[0].file.mode`,
      'must be between 0 and 511',
    ],
    [
      'a config without a name',
      { configs: [{ file: { name: 'x' }, configId: 'a' }] },
      `${P}.configs[0].configName`,
      'required',
    ],
    [
      'an unknown capability spelling',
      { capabilityAdd: ['NET-ADMIN'] },
      `${P}.capabilityAdd[0]`,
      'must be a capability name such as CAP_NET_ADMIN or ALL',
    ],
    [
      'an unknown ulimit',
      { ulimits: [{ name: 'files', soft: 1, hard: 1 }] },
      `${P}.ulimits[0].name`,
      'must be one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack',
    ],
    [
      'a soft ulimit above the hard one',
      { ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] },
      `${P}.ulimits[0].soft`,
      'must not exceed hard',
    ],
    [
      'a limited hard ulimit under an unlimited soft one',
      { ulimits: [{ name: 'nofile', soft: -1, hard: 5 }] },
      `${P}.ulimits[0].soft`,
      'must not exceed hard',
    ],
    [
      'sysctls with a non-string value',
      { sysctls: { 'net.core.somaxconn': 1024 } },
      `${P}.sysctls["net.core.somaxconn"]`,
      'must be a string',
    ],
  ];

  it.each(rejections)('refuses %s', (_what, fields, path, rule) => {
    expectRejected(() => validateServiceSpec(withContainer(fields)), path, rule);
  });

  it('refuses two secrets written to the same file, naming the first owner', () => {
    const secrets = [
      { file: { name: 'key' }, secretId: 'a', secretName: 'first' },
      { file: { name: 'key' }, secretId: 'b', secretName: 'second' },
    ];
    expectRejected(
      () => validateServiceSpec(withContainer({ secrets })),
      `${P}.secrets[1].file.name`,
      'target "key" is already used by "first"',
    );
  });

  it('accepts unlimited ulimits and an empty health check test (inherit from the image)', () => {
    const spec = validateServiceSpec(
      withContainer({ ulimits: [{ name: 'memlock', soft: -1, hard: -1 }], healthcheck: { test: [] } }),
    );
    expect(spec.taskTemplate.containerSpec.ulimits).toEqual([{ name: 'memlock', soft: -1, hard: -1 }]);
  });
});
