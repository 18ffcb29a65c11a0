// The real-world compose files of ../shared/compose-corpus: each maps to the services docker
// stack deploy would create (expected values written out from docker/cli's convert package),
// or fails with the clear error the corpus README expects. The files are read as they are.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLines } from './helpers.js';
import type { ServiceSpec } from '../../../src/api/index.js';
import { loadProject, planStack, type StackPlan } from './imports.js';
import { composeCorpus } from '../../support/corpus.js';

const CORPUS = composeCorpus() ?? '';
const NS = 'com.docker.stack.namespace';
const SECOND = 1e9;

function byName(plan: StackPlan): Record<string, ServiceSpec> {
  return Object.fromEntries(plan.services.map((s) => [s.name, s.spec]));
}

/** Serves some files from memory, the rest from disk. */
function filesWith(extra: Record<string, string>) {
  return async (path: string): Promise<Uint8Array> =>
    extra[path] !== undefined ? Buffer.from(extra[path]) : readFile(path);
}

describe.skipIf(CORPUS === '')('voting-app-stack.yml (dockersamples/example-voting-app)', () => {
  it('maps to the six services docker stack deploy creates, field by field', async () => {
    const project = await loadProject([join(CORPUS, 'voting-app-stack.yml')], { environment: {} });
    const plan = await planStack(project, 'vote');
    // List depends_on only orders creation: redis before vote, db before result.
    const order = plan.services.map((s) => s.name);
    expect(order.indexOf('redis')).toBeLessThan(order.indexOf('vote'));
    expect(order.indexOf('db')).toBeLessThan(order.indexOf('result'));
    expect(plan.secrets).toEqual([]);
    expect(plan.configs).toEqual([]);
    const labels = (image: string, extra: Record<string, string> = {}) => ({
      ...extra,
      [NS]: 'vote',
      'com.docker.stack.image': image,
    });
    const container = (image: string, extra: object = {}) => ({ image, labels: { [NS]: 'vote' }, ...extra });
    expect(byName(plan)).toEqual({
      redis: {
        name: 'vote_redis',
        labels: labels('redis:alpine'),
        taskTemplate: {
          containerSpec: container('redis:alpine'),
          restartPolicy: { condition: 'on-failure' },
          networks: [{ target: 'vote_frontend', aliases: ['redis'] }],
        },
        mode: { replicated: { replicas: 2 } },
        updateConfig: { parallelism: 2, delay: 10 * SECOND },
        // "6379": a target port the cluster publishes on a port of its choosing, in ingress mode.
        endpointSpec: { ports: [{ protocol: 'tcp', targetPort: 6379, publishMode: 'ingress' }] },
      },
      db: {
        name: 'vote_db',
        labels: labels('postgres:9.4'),
        taskTemplate: {
          containerSpec: container('postgres:9.4', {
            mounts: [
              {
                type: 'volume',
                source: 'vote_db-data',
                target: '/var/lib/postgresql/data',
                volumeOptions: { labels: { [NS]: 'vote' } },
              },
            ],
          }),
          placement: { constraints: ['node.role == manager'] },
          networks: [{ target: 'vote_backend', aliases: ['db'] }],
        },
        mode: { replicated: {} },
      },
      vote: {
        name: 'vote_vote',
        labels: labels('dockersamples/examplevotingapp_vote:before'),
        taskTemplate: {
          containerSpec: container('dockersamples/examplevotingapp_vote:before'),
          restartPolicy: { condition: 'on-failure' },
          networks: [{ target: 'vote_frontend', aliases: ['vote'] }],
        },
        mode: { replicated: { replicas: 2 } },
        updateConfig: { parallelism: 2 },
        endpointSpec: {
          ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 5000, publishMode: 'ingress' }],
        },
      },
      result: {
        name: 'vote_result',
        labels: labels('dockersamples/examplevotingapp_result:before'),
        taskTemplate: {
          containerSpec: container('dockersamples/examplevotingapp_result:before'),
          restartPolicy: { condition: 'on-failure' },
          networks: [{ target: 'vote_backend', aliases: ['result'] }],
        },
        mode: { replicated: { replicas: 2 } },
        updateConfig: { parallelism: 2, delay: 10 * SECOND },
        endpointSpec: {
          ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 5001, publishMode: 'ingress' }],
        },
      },
      worker: {
        name: 'vote_worker',
        // deploy.labels as a list: service labels, not container labels.
        labels: labels('dockersamples/examplevotingapp_worker', { APP: 'VOTING' }),
        taskTemplate: {
          containerSpec: container('dockersamples/examplevotingapp_worker'),
          restartPolicy: {
            condition: 'on-failure',
            delay: 10 * SECOND,
            maxAttempts: 3,
            window: 120 * SECOND,
          },
          // Sorted by target, as docker/cli sorts them.
          networks: [
            { target: 'vote_backend', aliases: ['worker'] },
            { target: 'vote_frontend', aliases: ['worker'] },
          ],
        },
        mode: { replicated: { replicas: 1 } },
      },
      visualizer: {
        name: 'vote_visualizer',
        labels: labels('manomarks/visualizer'),
        taskTemplate: {
          containerSpec: container('manomarks/visualizer', {
            mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }],
            stopGracePeriod: 90 * SECOND,
          }),
          // No networks: the stack's default network.
          networks: [{ target: 'vote_default', aliases: ['visualizer'] }],
        },
        mode: { replicated: {} },
        endpointSpec: {
          ports: [{ protocol: 'tcp', targetPort: 8080, publishedPort: 8080, publishMode: 'ingress' }],
        },
      },
    });
    expect(plan.services.every((s) => s.dependsOn.every((d) => d.condition === 'created'))).toBe(true);
  });
});

describe.skipIf(CORPUS === '')('swarmprom-stack.yml (stefanprodan/swarmprom)', () => {
  it('fails with the config files it names but the corpus does not ship', async () => {
    const path = join(CORPUS, 'swarmprom-stack.yml');
    const lines = await errorLines(async () =>
      planStack(await loadProject([path], { environment: {} }), 'mon'),
    );
    expect(lines).toEqual([
      `${path}:15:5: configs.caddy_config.file: file ./caddy/Caddyfile (${CORPUS}/caddy/Caddyfile) does not exist`,
      `${path}:17:5: configs.dockerd_config.file: file ./dockerd-exporter/Caddyfile (${CORPUS}/dockerd-exporter/Caddyfile) does not exist`,
    ]);
  });

  it('maps its seven services once the config files exist, interpolating defaults and keeping templates', async () => {
    const path = join(CORPUS, 'swarmprom-stack.yml');
    const project = await loadProject([path], { environment: { ADMIN_PASSWORD: 's3cret' } });
    const plan = await planStack(project, 'mon', {
      readFile: filesWith({
        [`${CORPUS}/caddy/Caddyfile`]: ':9090 {}\n',
        [`${CORPUS}/dockerd-exporter/Caddyfile`]: ':9323 {}\n',
      }),
    });
    const warnings = plan.warnings.map((w) => `${w.position?.line}: ${w.path}: ${w.message}`);
    expect(warnings).toEqual(
      expect.arrayContaining([
        '68: services.alertmanager.environment[0]: variable SLACK_URL is not set: it becomes an empty string',
        '69: services.alertmanager.environment[1]: variable SLACK_CHANNEL is not set: it becomes an empty string',
        '70: services.alertmanager.environment[2]: variable SLACK_USER is not set: it becomes an empty string',
      ]),
    );
    expect(
      plan.configs.map((c) => [c.spec.name, c.spec.labels, Buffer.from(c.spec.data).toString()]),
    ).toEqual([
      ['mon_caddy_config', { [NS]: 'mon' }, ':9090 {}\n'],
      ['mon_dockerd_config', { [NS]: 'mon' }, ':9323 {}\n'],
    ]);
    const s = byName(plan);
    expect(Object.keys(s).sort()).toEqual([
      'alertmanager',
      'caddy',
      'cadvisor',
      'dockerd-exporter',
      'grafana',
      'node-exporter',
      'prometheus',
    ]);
    const onNet = (name: string) => [{ target: 'mon_net', aliases: [name] }];
    const caddyConfig = {
      file: { name: '/etc/caddy/Caddyfile', uid: '0', gid: '0', mode: 0o444 },
      configId: '',
      configName: 'mon_caddy_config',
    };

    expect(s['dockerd-exporter']).toEqual({
      name: 'mon_dockerd-exporter',
      labels: { [NS]: 'mon', 'com.docker.stack.image': 'stefanprodan/caddy' },
      taskTemplate: {
        containerSpec: {
          image: 'stefanprodan/caddy',
          env: ['DOCKER_GWBRIDGE_IP=172.18.0.1'],
          labels: { [NS]: 'mon' },
          configs: [caddyConfig],
        },
        networks: onNet('dockerd-exporter'),
      },
      mode: { global: {} },
    });
    expect(s.cadvisor).toEqual({
      name: 'mon_cadvisor',
      labels: { [NS]: 'mon', 'com.docker.stack.image': 'google/cadvisor' },
      taskTemplate: {
        containerSpec: {
          image: 'google/cadvisor',
          // command as a string: split into words, and given as the image's arguments.
          args: ['-logtostderr', '-docker_only'],
          labels: { [NS]: 'mon' },
          mounts: [
            { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: true },
            { type: 'bind', source: '/', target: '/rootfs', readOnly: true },
            { type: 'bind', source: '/var/run', target: '/var/run' },
            { type: 'bind', source: '/sys', target: '/sys', readOnly: true },
            { type: 'bind', source: '/var/lib/docker/', target: '/var/lib/docker', readOnly: true },
          ],
        },
        networks: onNet('cadvisor'),
      },
      mode: { global: {} },
    });
    expect(s.grafana).toEqual({
      name: 'mon_grafana',
      labels: { [NS]: 'mon', 'com.docker.stack.image': 'grafana/grafana' },
      taskTemplate: {
        containerSpec: {
          image: 'grafana/grafana',
          // ${ADMIN_USER:-admin} unset: the default; ${ADMIN_PASSWORD:-admin} set: its value.
          env: [
            'GF_SECURITY_ADMIN_PASSWORD=s3cret',
            'GF_SECURITY_ADMIN_USER=admin',
            'GF_USERS_ALLOW_SIGN_UP=false',
          ],
          labels: { [NS]: 'mon' },
          mounts: [
            {
              type: 'volume',
              source: 'mon_grafana',
              target: '/var/lib/grafana',
              volumeOptions: { labels: { [NS]: 'mon' } },
            },
          ],
        },
        placement: { constraints: ['node.role == manager'] },
        networks: onNet('grafana'),
      },
      mode: { replicated: { replicas: 1 } },
    });
    expect(s.alertmanager?.taskTemplate.containerSpec).toEqual({
      image: 'stefanprodan/swarmprom-alertmanager',
      args: ['-config.file=/etc/alertmanager/alertmanager.yml', '-storage.path=/alertmanager'],
      env: ['SLACK_CHANNEL=', 'SLACK_URL=', 'SLACK_USER='],
      labels: { [NS]: 'mon' },
      mounts: [
        {
          type: 'volume',
          source: 'mon_alertmanager',
          target: '/alertmanager',
          volumeOptions: { labels: { [NS]: 'mon' } },
        },
      ],
    });
    expect(s['node-exporter']).toEqual({
      name: 'mon_node-exporter',
      labels: { [NS]: 'mon', 'com.docker.stack.image': 'stefanprodan/swarmprom-node-exporter' },
      taskTemplate: {
        containerSpec: {
          image: 'stefanprodan/swarmprom-node-exporter',
          args: [
            '-collector.textfile.directory=/etc/node-exporter/',
            '-collector.procfs=/host/proc',
            '-collector.sysfs=/host/sys',
            // $$ in the file: a literal $.
            '-collector.filesystem.ignored-mount-points=^/(sys|proc|dev|host|etc)($|/)',
            '-collectors.enabled=textfile,conntrack,diskstats,entropy,filefd,filesystem,loadavg,mdadm,meminfo,netdev,netstat,stat,time,vmstat',
          ],
          // The service template stays for the worker to expand per task.
          env: ['NODE_ID={{.Node.ID}}'],
          labels: { [NS]: 'mon' },
          mounts: [
            { type: 'bind', source: '/proc', target: '/host/proc', readOnly: true },
            { type: 'bind', source: '/sys', target: '/host/sys', readOnly: true },
            { type: 'bind', source: '/', target: '/rootfs', readOnly: true },
            { type: 'bind', source: '/etc/hostname', target: '/etc/nodename' },
          ],
        },
        networks: onNet('node-exporter'),
      },
      mode: { global: {} },
    });
    expect(s.prometheus?.taskTemplate.containerSpec.args).toHaveLength(7);
    expect(s.prometheus?.mode).toEqual({ replicated: { replicas: 1 } });
    expect(s.caddy).toEqual({
      name: 'mon_caddy',
      labels: { [NS]: 'mon', 'com.docker.stack.image': 'stefanprodan/caddy' },
      taskTemplate: {
        containerSpec: {
          image: 'stefanprodan/caddy',
          env: ['ADMIN_PASSWORD=s3cret', 'ADMIN_USER=admin'],
          labels: { [NS]: 'mon' },
          configs: [caddyConfig],
        },
        networks: onNet('caddy'),
      },
      mode: { global: {} },
      endpointSpec: {
        ports: [3000, 9090, 9093].map((p) => ({
          protocol: 'tcp',
          targetPort: p,
          publishedPort: p,
          publishMode: 'ingress',
        })),
      },
    });
  });
});

describe.skipIf(CORPUS === '')('nginx-golang-postgres-compose.yaml (docker/awesome-compose)', () => {
  const path = join(CORPUS, 'nginx-golang-postgres-compose.yaml');

  it('fails because Swarm cannot build the backend, naming the key (and the secret file it lacks)', async () => {
    const lines = await errorLines(async () =>
      planStack(await loadProject([path], { environment: {} }), 'app'),
    );
    expect(lines).toContain(
      `${path}:3:5: services.backend.build: Swarm cannot build images: build and push the image, then name it with image:`,
    );
    expect(lines).toContain(
      `${path}:48:5: secrets.db-password.file: file db/password.txt (${CORPUS}/db/password.txt) does not exist`,
    );
    expect(lines).toHaveLength(2);
  });

  it('maps the other services once the backend names an image and the secret file exists', async () => {
    const project = await loadProject([path], { environment: {} });
    const backend = project.model.services.backend;
    if (backend === undefined) throw new Error('no backend');
    backend.image = 'example/backend:1';
    const plan = await planStack(project, 'app', {
      readFile: filesWith({ [`${CORPUS}/db/password.txt`]: 'pw' }),
    });
    // depends_on with a condition: the backend waits for a healthy db; the proxy follows the backend.
    expect(plan.services.map((s) => [s.name, s.dependsOn])).toEqual([
      ['db', []],
      ['backend', [{ service: 'db', condition: 'service_healthy' }]],
      ['proxy', [{ service: 'backend', condition: 'created' }]],
    ]);
    expect(plan.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual(
      expect.arrayContaining([
        "services.db.expose: ignored: services on the same network reach each other's ports without it",
        'services.backend.build: ignored: stack deploy does not build; the image example/backend:1 is used',
      ]),
    );
    expect(plan.secrets.map((s) => [s.spec.name, Buffer.from(s.spec.data ?? []).toString()])).toEqual([
      ['app_db-password', 'pw'],
    ]);
    const s = byName(plan);
    const secretRef = {
      file: { name: 'db-password', uid: '0', gid: '0', mode: 0o444 },
      secretId: '',
      secretName: 'app_db-password',
    };
    expect(s.db).toEqual({
      name: 'app_db',
      labels: { [NS]: 'app', 'com.docker.stack.image': 'postgres' },
      taskTemplate: {
        containerSpec: {
          image: 'postgres',
          env: ['POSTGRES_DB=example', 'POSTGRES_PASSWORD_FILE=/run/secrets/db-password'],
          labels: { [NS]: 'app' },
          user: 'postgres',
          mounts: [
            {
              type: 'volume',
              source: 'app_db-data',
              target: '/var/lib/postgresql',
              volumeOptions: { labels: { [NS]: 'app' } },
            },
          ],
          healthcheck: {
            test: ['CMD', 'pg_isready'],
            interval: 10 * SECOND,
            timeout: 5 * SECOND,
            retries: 5,
          },
          secrets: [secretRef],
        },
        // restart: always, with no deploy.restart_policy.
        restartPolicy: { condition: 'any' },
        networks: [{ target: 'app_default', aliases: ['db'] }],
      },
      mode: { replicated: {} },
    });
    expect(s.proxy).toEqual({
      name: 'app_proxy',
      labels: { [NS]: 'app', 'com.docker.stack.image': 'nginx' },
      taskTemplate: {
        containerSpec: {
          image: 'nginx',
          labels: { [NS]: 'app' },
          mounts: [
            {
              type: 'bind',
              source: `${CORPUS}/proxy/nginx.conf`,
              target: '/etc/nginx/conf.d/default.conf',
              readOnly: true,
            },
          ],
        },
        networks: [{ target: 'app_default', aliases: ['proxy'] }],
      },
      mode: { replicated: {} },
      endpointSpec: {
        ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 80, publishMode: 'ingress' }],
      },
    });
    expect(s.backend?.taskTemplate.containerSpec.secrets).toEqual([secretRef]);
  });
});
