// Each mapping rule of docker/cli's cli/compose/convert, checked on a small file.
import { describe, expect, it } from 'vitest';
import { errorLines, planFromText, serviceOf } from './helpers.js';

const svc = (body: string, extra = ''): string =>
  `services:\n  web:\n    image: nginx:1.27\n${body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `    ${l}`)
    .join('\n')}\n${extra}`;

async function web(body: string, extra = '', options: Parameters<typeof planFromText>[1] = {}) {
  return serviceOf(await planFromText(svc(body, extra), options), 'web');
}

describe('names and labels', () => {
  it('names the service <stack>_<service> and labels it with the stack and the image', async () => {
    const spec = await web('labels: {tier: front}\ndeploy:\n  labels: [owner=ops, "note"]', '', {
      stack: 'shop',
    });
    expect(spec.name).toBe('shop_web');
    expect(spec.labels).toEqual({
      owner: 'ops',
      note: '',
      'com.docker.stack.namespace': 'shop',
      'com.docker.stack.image': 'nginx:1.27',
    });
    // labels: are container labels, deploy.labels service labels.
    expect(spec.taskTemplate.containerSpec.labels).toEqual({
      tier: 'front',
      'com.docker.stack.namespace': 'shop',
    });
  });

  it('refuses a stack name that cannot prefix a service name', async () => {
    expect(await errorLines(() => planFromText(svc(''), { stack: 'my stack' }))).toEqual([
      'invalid stack name "my stack": letters and digits, joined by - or _',
    ]);
  });
});

describe('mode', () => {
  it('maps replicated (default), global, replicated-job and global-job', async () => {
    expect((await web('')).mode).toEqual({ replicated: {} });
    expect((await web('deploy: {replicas: 3}')).mode).toEqual({ replicated: { replicas: 3 } });
    expect((await web('deploy: {mode: global}')).mode).toEqual({ global: {} });
    expect((await web('deploy: {mode: replicated-job, replicas: 4}')).mode).toEqual({
      replicatedJob: { maxConcurrent: 4, totalCompletions: 4 },
    });
    expect((await web('deploy: {mode: global-job}')).mode).toEqual({ globalJob: {} });
  });

  it('refuses replicas with a global mode and update_config for jobs', async () => {
    expect(await errorLines(() => planFromText(svc('deploy:\n  mode: global\n  replicas: 2')))).toEqual([
      'compose.yml:6:7: services.web.deploy.replicas: replicas can only be used with replicated or replicated-job mode',
    ]);
    expect(
      await errorLines(() =>
        planFromText(svc('deploy:\n  mode: global-job\n  update_config: {parallelism: 1}')),
      ),
    ).toEqual([
      'compose.yml:6:7: services.web.deploy.update_config: not allowed for jobs (replicated-job, global-job)',
    ]);
  });
});

describe('placement, resources, restart, update', () => {
  it('maps placement constraints, preferences and max replicas per node', async () => {
    const spec = await web(
      'deploy:\n  placement:\n    constraints: [node.role == manager]\n    preferences: [{spread: node.labels.zone}]\n    max_replicas_per_node: 2',
    );
    expect(spec.taskTemplate.placement).toEqual({
      constraints: ['node.role == manager'],
      preferences: [{ spread: { spreadDescriptor: 'node.labels.zone' } }],
      maxReplicas: 2,
    });
  });

  it('maps cpus strings and memory sizes of limits and reservations', async () => {
    const spec = await web(
      "deploy:\n  resources:\n    limits: {cpus: '0.5', memory: 512M, pids: 100}\n    reservations: {cpus: 0.25, memory: 128m, generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]}",
    );
    expect(spec.taskTemplate.resources).toEqual({
      limits: { nanoCpus: 500_000_000, memoryBytes: 512 * 1024 ** 2, pids: 100 },
      reservations: {
        nanoCpus: 250_000_000,
        memoryBytes: 128 * 1024 ** 2,
        genericResources: [{ discreteResourceSpec: { kind: 'gpu', value: 2 } }],
      },
    });
  });

  it('refuses a cpus value finer than a nano CPU', async () => {
    expect(
      await errorLines(() => planFromText(svc("deploy: {resources: {limits: {cpus: '0.0000000001'}}}"))),
    ).toEqual([
      'compose.yml:4:35: services.web.deploy.resources.limits.cpus: is too precise (at most 9 decimal places)',
    ]);
  });

  it('maps restart_policy with its durations', async () => {
    const spec = await web(
      'deploy:\n  restart_policy: {condition: on-failure, delay: 10s, max_attempts: 3, window: 2m}',
    );
    expect(spec.taskTemplate.restartPolicy).toEqual({
      condition: 'on-failure',
      delay: 10e9,
      maxAttempts: 3,
      window: 120e9,
    });
  });

  it('maps the plain restart: key as docker/cli does when there is no restart_policy', async () => {
    expect((await web('restart: always')).taskTemplate.restartPolicy).toEqual({ condition: 'any' });
    expect((await web('restart: unless-stopped')).taskTemplate.restartPolicy).toEqual({ condition: 'any' });
    expect((await web('restart: on-failure:5')).taskTemplate.restartPolicy).toEqual({
      condition: 'on-failure',
      maxAttempts: 5,
    });
    const no = await planFromText(svc('restart: "no"'));
    expect(serviceOf(no, 'web').taskTemplate.restartPolicy).toBeUndefined();
    expect(no.warnings.map((w) => w.path)).toContain('services.web.restart');
    expect(await errorLines(() => planFromText(svc('restart: sometimes')))).toEqual([
      'compose.yml:4:5: services.web.restart: unknown restart policy "sometimes" (no, always, on-failure[:N], unless-stopped)',
    ]);
  });

  it('maps update_config and rollback_config with parallelism 1 unless given', async () => {
    const spec = await web(
      'deploy:\n  update_config: {delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.2, order: start-first}\n  rollback_config: {parallelism: 0, failure_action: pause}',
    );
    expect(spec.updateConfig).toEqual({
      parallelism: 1,
      delay: 10e9,
      failureAction: 'rollback',
      monitor: 30e9,
      maxFailureRatio: 0.2,
      order: 'start-first',
    });
    expect(spec.rollbackConfig).toEqual({ parallelism: 0, failureAction: 'pause' });
  });

  it('refuses rollback as the failure action of a rollback', async () => {
    expect(
      await errorLines(() => planFromText(svc('deploy: {rollback_config: {failure_action: rollback}}'))),
    ).toEqual([
      'compose.yml:4:32: services.web.deploy.rollback_config.failure_action: must be one of continue, pause (got "rollback")',
    ]);
  });
});

describe('ports and endpoint', () => {
  it('maps the short syntax with ranges and protocols in ingress mode, sorted by published port', async () => {
    const spec = await web(
      'ports:\n  - "9090-9091:8080-8081"\n  - 53:53/udp\n  - "6379"\n  - "127.0.0.1:8443:443"',
    );
    expect(spec.endpointSpec).toEqual({
      ports: [
        { protocol: 'tcp', targetPort: 6379, publishMode: 'ingress' },
        { protocol: 'udp', targetPort: 53, publishedPort: 53, publishMode: 'ingress' },
        { protocol: 'tcp', targetPort: 443, publishedPort: 8443, publishMode: 'ingress' },
        { protocol: 'tcp', targetPort: 8080, publishedPort: 9090, publishMode: 'ingress' },
        { protocol: 'tcp', targetPort: 8081, publishedPort: 9091, publishMode: 'ingress' },
      ],
    });
  });

  it('warns that a host address in a port is ignored', async () => {
    const plan = await planFromText(svc('ports: ["127.0.0.1:8443:443"]'));
    expect(plan.warnings.map((w) => w.message)).toContain(
      'ignored host address 127.0.0.1: the service listens on every address',
    );
  });

  it('maps the long syntax with host mode, and the endpoint mode', async () => {
    const spec = await web(
      'ports:\n  - {target: 80, published: "8080", protocol: tcp, mode: host, name: web}\ndeploy: {endpoint_mode: dnsrr}',
    );
    expect(spec.endpointSpec).toEqual({
      mode: 'dnsrr',
      ports: [{ name: 'web', protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'host' }],
    });
  });

  it('refuses ports it cannot read', async () => {
    expect(await errorLines(() => planFromText(svc('ports: ["80-81:90-92", "70000", "80/icmp"]')))).toEqual([
      'compose.yml:4:13: services.web.ports[0]: invalid port "80-81:90-92": the published and target ranges differ in size',
      'compose.yml:4:28: services.web.ports[1]: invalid port "70000": target "70000" must be a port or a range of ports',
      'compose.yml:4:37: services.web.ports[2]: invalid protocol "icmp" (tcp, udp or sctp)',
    ]);
  });
});

describe('healthcheck', () => {
  it('maps a string test to CMD-SHELL and keeps a list, with its durations', async () => {
    expect(
      (
        await web(
          'healthcheck:\n  test: curl -f http://localhost\n  interval: 10s\n  timeout: 5s\n  retries: 5\n  start_period: 30s\n  start_interval: 1s',
        )
      ).taskTemplate.containerSpec.healthcheck,
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: 10e9,
      timeout: 5e9,
      retries: 5,
      startPeriod: 30e9,
      startInterval: 1e9,
    });
    expect(
      (await web('healthcheck: {test: [CMD, pg_isready]}')).taskTemplate.containerSpec.healthcheck,
    ).toEqual({
      test: ['CMD', 'pg_isready'],
    });
  });

  it('maps disable to NONE and refuses disable with a test', async () => {
    expect((await web('healthcheck: {disable: true}')).taskTemplate.containerSpec.healthcheck).toEqual({
      test: ['NONE'],
    });
    expect(await errorLines(() => planFromText(svc('healthcheck: {disable: true, test: [CMD, x]}')))).toEqual(
      ["compose.yml:4:5: services.web.healthcheck: test and disable can't be set at the same time"],
    );
  });
});

describe('process and environment', () => {
  it('splits string commands like a shell and maps entrypoint to command, command to args', async () => {
    const c = (await web(`entrypoint: /bin/sh -c\ncommand: "echo 'a b' \\"c\\""`)).taskTemplate.containerSpec;
    expect(c.command).toEqual(['/bin/sh', '-c']);
    expect(c.args).toEqual(['echo', 'a b', 'c']);
    const l = (await web('command: [sleep, "3600"]')).taskTemplate.containerSpec;
    expect(l.args).toEqual(['sleep', '3600']);
    expect(l.command).toBeUndefined();
  });

  it('maps environment lists and maps, sorted, value-less keys from the environment', async () => {
    const list = await web('environment:\n  - B=2\n  - A=1\n  - FROM_ENV\n  - NODE={{.Node.ID}}', '', {
      env: { FROM_ENV: 'yes' },
    });
    expect(list.taskTemplate.containerSpec.env).toEqual(['A=1', 'B=2', 'FROM_ENV=yes', 'NODE={{.Node.ID}}']);
    const map = await web('environment: {PORT: 80, DEBUG: false, EMPTY: ""}');
    expect(map.taskTemplate.containerSpec.env).toEqual(['DEBUG=false', 'EMPTY=', 'PORT=80']);
  });

  it('warns about a value-less key the environment lacks and leaves it out', async () => {
    const plan = await planFromText(svc('environment: [GONE, KEPT=1]'));
    expect(serviceOf(plan, 'web').taskTemplate.containerSpec.env).toEqual(['KEPT=1']);
    expect(plan.warnings.map((w) => `${w.path}: ${w.message}`)).toContain(
      'services.web.environment: GONE has no value and is not set in the environment: left out',
    );
  });

  it('reads env_file entries before environment, relative to the compose file', async () => {
    const spec = await web(
      'env_file: [./common.env, {path: ./optional.env, required: false}]\nenvironment: [B=from-file-overridden]',
      '',
      {
        files: { '/stack/common.env': 'A=1\nB=2\n# comment\n' },
      },
    );
    expect(spec.taskTemplate.containerSpec.env).toEqual(['A=1', 'B=from-file-overridden']);
    expect(await errorLines(() => planFromText(svc('env_file: ./missing.env')))).toEqual([
      'compose.yml:4:5: services.web.env_file: env file ./missing.env (/stack/missing.env) does not exist',
    ]);
  });

  it('maps working_dir, user, hostname, stop_grace_period, stop_signal and the container flags', async () => {
    const c = (
      await web(
        'working_dir: /app\nuser: "1000:1000"\nhostname: "{{.Node.Hostname}}"\nstop_grace_period: 1m30s\nstop_signal: SIGINT\ntty: true\nstdin_open: true\nread_only: true\ninit: true\ncap_add: [net_admin]\ncap_drop: [ALL]\nsysctls: {net.core.somaxconn: 1024}\nulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}\ndns: 8.8.8.8\ndns_search: [example.com]\ngroup_add: [audio]\nlogging: {driver: json-file, options: {max-size: 10m}}',
      )
    ).taskTemplate;
    expect(c.containerSpec).toMatchObject({
      dir: '/app',
      user: '1000:1000',
      hostname: '{{.Node.Hostname}}',
      stopGracePeriod: 90e9,
      stopSignal: 'SIGINT',
      tty: true,
      openStdin: true,
      readOnly: true,
      init: true,
      capabilityAdd: ['CAP_NET_ADMIN'],
      capabilityDrop: ['ALL'],
      sysctls: { 'net.core.somaxconn': '1024' },
      ulimits: [
        { name: 'nofile', soft: 20000, hard: 40000 },
        { name: 'nproc', soft: 65535, hard: 65535 },
      ],
      dnsConfig: { nameservers: ['8.8.8.8'], search: ['example.com'] },
      groups: ['audio'],
    });
    expect(c.logDriver).toEqual({ name: 'json-file', options: { 'max-size': '10m' } });
  });

  it("reports a template Flotilla's API refuses at the compose key it came from", async () => {
    const lines = await errorLines(() => planFromText(svc('environment:\n  - X={{.Nope}}')));
    expect(lines).toEqual([
      'compose.yml:4:5: services.web.environment: invalid template: unknown field .Nope (spec.taskTemplate.containerSpec.env[0])',
    ]);
  });
});

describe('volumes', () => {
  it('maps named volumes to <stack>_<name> with the stack label, binds and tmpfs', async () => {
    const spec = await web(
      'volumes:\n  - data:/data:nocopy\n  - ./conf:/etc/app:ro\n  - ~/cache:/cache\n  - /var/run/docker.sock:/var/run/docker.sock:rslave\n  - /anon\n  - {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}\n  - {type: bind, source: ./proxy.conf, target: /etc/nginx/conf.d/default.conf, read_only: true}\ntmpfs: /run',
      'volumes:\n  data:\n    driver: local\n    driver_opts: {type: nfs}\n    labels: {backup: daily}\n',
      { env: { HOME: '/home/me' } },
    );
    expect(spec.taskTemplate.containerSpec.mounts).toEqual([
      {
        type: 'volume',
        source: 'st_data',
        target: '/data',
        volumeOptions: {
          noCopy: true,
          labels: { backup: 'daily', 'com.docker.stack.namespace': 'st' },
          driverConfig: { name: 'local', options: { type: 'nfs' } },
        },
      },
      { type: 'bind', source: '/stack/conf', target: '/etc/app', readOnly: true },
      { type: 'bind', source: '/home/me/cache', target: '/cache' },
      {
        type: 'bind',
        source: '/var/run/docker.sock',
        target: '/var/run/docker.sock',
        bindOptions: { propagation: 'rslave' },
      },
      { type: 'volume', target: '/anon' },
      { type: 'tmpfs', target: '/tmp', tmpfsOptions: { sizeBytes: 64 * 1024 ** 2 } },
      { type: 'bind', source: '/stack/proxy.conf', target: '/etc/nginx/conf.d/default.conf', readOnly: true },
      { type: 'tmpfs', target: '/run' },
    ]);
  });

  it('uses an external or named volume by its name, without stack labels', async () => {
    const spec = await web(
      'volumes: ["ext:/a", "named:/b"]',
      'volumes:\n  ext: {external: true}\n  named: {name: shared-data}\n',
    );
    expect(spec.taskTemplate.containerSpec.mounts).toEqual([
      { type: 'volume', source: 'ext', target: '/a', volumeOptions: {} },
      {
        type: 'volume',
        source: 'shared-data',
        target: '/b',
        volumeOptions: { labels: { 'com.docker.stack.namespace': 'st' } },
      },
    ]);
  });

  it('refuses an undeclared volume and unsupported mount types', async () => {
    expect(
      await errorLines(() =>
        planFromText(svc('volumes: ["nope:/data", {type: npipe, source: x, target: /y}]')),
      ),
    ).toEqual([
      'compose.yml:4:15: services.web.volumes[0]: undefined volume "nope": declare it in the top-level volumes section',
      'compose.yml:4:30: services.web.volumes[1].type: npipe mounts are not supported',
    ]);
  });
});

describe('secrets and configs', () => {
  const objects = [
    'secrets:',
    '  db_pass: {file: ./db.txt, labels: {rotated: "2024"}}',
    '  api_key: {external: true}',
    '  token: {environment: TOKEN}',
    'configs:',
    '  app_conf: {file: /etc/app.conf}',
    '  inline: {content: "hello", name: fixed-name}',
  ].join('\n');
  const files = { '/stack/db.txt': 'hunter2', '/etc/app.conf': 'x=1' };

  it('creates file, environment and content objects named <stack>_<name> with the stack label', async () => {
    const plan = await planFromText(svc('', objects), { files, env: { TOKEN: 't0k' } });
    expect(plan.secrets.map((s) => ({ ...s.spec, data: Buffer.from(s.spec.data ?? []).toString() }))).toEqual(
      [
        {
          name: 'st_db_pass',
          labels: { rotated: '2024', 'com.docker.stack.namespace': 'st' },
          data: 'hunter2',
        },
        { name: 'st_token', labels: { 'com.docker.stack.namespace': 'st' }, data: 't0k' },
      ],
    );
    expect(plan.externalSecrets).toEqual(['api_key']);
    expect(plan.configs.map((c) => ({ ...c.spec, data: Buffer.from(c.spec.data).toString() }))).toEqual([
      { name: 'st_app_conf', labels: { 'com.docker.stack.namespace': 'st' }, data: 'x=1' },
      { name: 'fixed-name', labels: { 'com.docker.stack.namespace': 'st' }, data: 'hello' },
    ]);
  });

  it('maps short and long references with target, uid, gid and mode, sorted by name', async () => {
    const spec = await web(
      'secrets:\n  - token\n  - {source: db_pass, target: db-password, uid: "103", gid: 103, mode: 0400}\n  - api_key\nconfigs:\n  - {source: app_conf, target: /etc/app/app.conf}\n  - inline',
      objects,
      { files, env: { TOKEN: 't0k' } },
    );
    expect(spec.taskTemplate.containerSpec.secrets).toEqual([
      { file: { name: 'api_key', uid: '0', gid: '0', mode: 0o444 }, secretId: '', secretName: 'api_key' },
      {
        file: { name: 'db-password', uid: '103', gid: '103', mode: 0o400 },
        secretId: '',
        secretName: 'st_db_pass',
      },
      { file: { name: 'token', uid: '0', gid: '0', mode: 0o444 }, secretId: '', secretName: 'st_token' },
    ]);
    expect(spec.taskTemplate.containerSpec.configs).toEqual([
      { file: { name: 'inline', uid: '0', gid: '0', mode: 0o444 }, configId: '', configName: 'fixed-name' },
      {
        file: { name: '/etc/app/app.conf', uid: '0', gid: '0', mode: 0o444 },
        configId: '',
        configName: 'st_app_conf',
      },
    ]);
  });

  it('names a missing file, an unset variable and an undeclared reference', async () => {
    expect(
      await errorLines(() =>
        planFromText(
          svc('secrets: [nope]', 'secrets:\n  a: {file: ./gone.txt}\n  b: {environment: UNSET}\n'),
        ),
      ),
    ).toEqual([
      'compose.yml:6:7: secrets.a.file: file ./gone.txt (/stack/gone.txt) does not exist',
      'compose.yml:7:7: secrets.b.environment: variable UNSET is not set',
      'compose.yml:4:15: services.web.secrets[0]: undefined secret "nope": declare it in the top-level secrets section',
    ]);
  });
});

describe('networks', () => {
  it('records the networks as docker/cli would attach them, with the service name as alias, and warns', async () => {
    const plan = await planFromText(
      svc(
        'networks:\n  front: {aliases: [www]}\n  outside:',
        'networks:\n  front: {}\n  outside: {external: true, name: corp-net}\n',
      ),
    );
    expect(serviceOf(plan, 'web').taskTemplate.networks).toEqual([
      { target: 'corp-net', aliases: ['web'] },
      { target: 'st_front', aliases: ['www', 'web'] },
    ]);
    expect(plan.warnings.map((w) => w.message)).toContain(
      "Flotilla does not create networks: the services record their attachments (corp-net, st_front) but their tasks use each engine's default network",
    );
  });

  it('attaches a service without networks to <stack>_default and refuses an undeclared network', async () => {
    expect((await web('')).taskTemplate.networks).toEqual([{ target: 'st_default', aliases: ['web'] }]);
    expect(await errorLines(() => planFromText(svc('networks: [nope]')))).toEqual([
      'compose.yml:4:5: services.web.networks: undefined network "nope": declare it in the top-level networks section',
    ]);
  });
});

describe('build, depends_on and order', () => {
  it('refuses build without an image and warns about build with one', async () => {
    expect(await errorLines(() => planFromText('services:\n  api:\n    build: ./api\n'))).toEqual([
      'compose.yml:3:5: services.api.build: Swarm cannot build images: build and push the image, then name it with image:',
    ]);
    const plan = await planFromText(svc('build: .'));
    expect(plan.warnings.map((w) => `${w.path}: ${w.message}`)).toContain(
      'services.web.build: ignored: stack deploy does not build; the image nginx:1.27 is used',
    );
  });

  it('orders services after their dependencies and keeps their conditions', async () => {
    const text = [
      'services:',
      '  proxy: {image: nginx, depends_on: [api]}',
      '  api: {image: api, depends_on: {db: {condition: service_healthy}, cache: {condition: service_started}}}',
      '  cache: {image: redis}',
      '  db: {image: postgres}',
    ].join('\n');
    const plan = await planFromText(text);
    expect(plan.services.map((s) => s.name)).toEqual(['db', 'cache', 'api', 'proxy']);
    expect(plan.services.find((s) => s.name === 'api')?.dependsOn).toEqual([
      { service: 'db', condition: 'service_healthy' },
      { service: 'cache', condition: 'service_started' },
    ]);
    expect(plan.services.find((s) => s.name === 'proxy')?.dependsOn).toEqual([
      { service: 'api', condition: 'created' },
    ]);
  });

  it('refuses a dependency cycle and an unknown dependency', async () => {
    const text = 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a, c]}\n';
    expect(await errorLines(() => planFromText(text))).toEqual([
      'compose.yml:3:17: services.b.depends_on: depends on undefined service "c"',
      'compose.yml:2:17: services.a.depends_on: dependency cycle: a -> b -> a',
    ]);
  });
});
