// The Compose specification as data: every key a compose file may hold, the type of its value,
// and what Flotilla does with it — maps it (as `docker stack deploy` would), ignores it with a
// warning (valid compose that Swarm-style deployment cannot express), or refuses it (keys
// docker/cli forbids for stacks). Keys are those of compose-spec's JSON schema; `x-` keys are
// extensions and always allowed. validate.ts walks a file against these tables.

export type ValueType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'null'
  /** string, number, boolean or null, kept as given */
  | 'scalar'
  /** a Go duration string, read as nanoseconds */
  | 'duration'
  /** bytes as an integer or a size string (`512m`), read as a number */
  | 'bytes'
  /** a file mode: an integer (`0440` in YAML is octal) or an octal string */
  | 'filemode'
  /** anything: the value of a key that is only warned about */
  | 'any'
  | { list: ValueType }
  | { map: ValueType; keys?: RegExp }
  | { object: Readonly<Record<string, Field>>; required?: readonly string[] }
  | { oneOf: readonly ValueType[] }
  | { enum: readonly string[] };

/** mapped: Flotilla uses it; ignored: a warning names it; refused: an error names it. */
export type Support = 'mapped' | 'ignored' | 'refused';

export interface Field {
  type: ValueType;
  support?: Support;
  /** Why a key is ignored or refused (shown in the message). */
  note?: string;
}

const f = (type: ValueType, support: Support = 'mapped', note?: string): Field =>
  note === undefined ? { type, support } : { type, support, note };
const ignored = (note: string): Field => ({ type: 'any', support: 'ignored', note });
const refused = (note: string): Field => ({ type: 'any', support: 'refused', note });

const NAME_KEY = /^[a-zA-Z0-9._-]+$/;
const listOfStrings: ValueType = { list: 'string' };
const stringOrList: ValueType = { oneOf: ['string', listOfStrings] };
export const listOrDict: ValueType = { oneOf: [{ map: 'scalar' }, listOfStrings] };
const command: ValueType = { oneOf: ['null', 'string', listOfStrings] };
const external: ValueType = { oneOf: ['boolean', { object: { name: f('string') } }] };

const NO_SWARM = 'Swarm services have no such setting';
const NO_NETWORKS = 'Flotilla does not manage container networks';
const RESOURCES = 'set resource limits with deploy.resources';

const updateConfig = (failureActions: readonly string[]): ValueType => ({
  object: {
    parallelism: f('integer'),
    delay: f('duration'),
    failure_action: f({ enum: failureActions }),
    monitor: f('duration'),
    max_failure_ratio: f('number'),
    order: f({ enum: ['start-first', 'stop-first'] }),
  },
});

const deploy: ValueType = {
  oneOf: [
    'null',
    {
      object: {
        mode: f({ enum: ['replicated', 'global', 'replicated-job', 'global-job'] }),
        endpoint_mode: f({ enum: ['vip', 'dnsrr'] }),
        replicas: f('integer'),
        labels: f(listOrDict),
        update_config: f(updateConfig(['continue', 'pause', 'rollback'])),
        rollback_config: f(updateConfig(['continue', 'pause'])),
        resources: f({
          object: {
            limits: f({
              object: { cpus: f({ oneOf: ['string', 'number'] }), memory: f('bytes'), pids: f('integer') },
            }),
            reservations: f({
              object: {
                cpus: f({ oneOf: ['string', 'number'] }),
                memory: f('bytes'),
                generic_resources: f({
                  list: {
                    object: {
                      discrete_resource_spec: f({ object: { kind: f('string'), value: f('integer') } }),
                    },
                  },
                }),
                devices: ignored('device reservations are not supported'),
              },
            }),
          },
        }),
        restart_policy: f({
          object: {
            condition: f({ enum: ['none', 'on-failure', 'any'] }),
            delay: f('duration'),
            max_attempts: f('integer'),
            window: f('duration'),
          },
        }),
        placement: f({
          object: {
            constraints: f(listOfStrings),
            preferences: f({ list: { object: { spread: f('string') }, required: ['spread'] } }),
            max_replicas_per_node: f('integer'),
          },
        }),
      },
    },
  ],
};

const healthcheck: ValueType = {
  object: {
    disable: f('boolean'),
    interval: f('duration'),
    retries: f('integer'),
    test: f(stringOrList),
    timeout: f('duration'),
    start_period: f('duration'),
    start_interval: f('duration'),
  },
};

const port: ValueType = {
  oneOf: [
    'integer',
    'string',
    {
      object: {
        name: f('string'),
        mode: f({ enum: ['host', 'ingress'] }),
        host_ip: ignored('Swarm publishes on every address'),
        target: f('integer'),
        published: f({ oneOf: ['integer', 'string'] }),
        protocol: f({ enum: ['tcp', 'udp', 'sctp'] }),
        app_protocol: ignored(NO_SWARM),
      },
      required: ['target'],
    },
  ],
};

const serviceVolume: ValueType = {
  oneOf: [
    'string',
    {
      object: {
        type: f({ enum: ['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image'] }),
        source: f('string'),
        target: f('string'),
        read_only: f('boolean'),
        consistency: f('string'),
        bind: f({
          object: {
            propagation: f({ enum: ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] }),
            create_host_path: ignored('Swarm never creates a missing bind source'),
            recursive: ignored(NO_SWARM),
            selinux: ignored(NO_SWARM),
          },
        }),
        volume: f({
          object: {
            labels: ignored('labels of a volume are set in the top-level volumes section'),
            nocopy: f('boolean'),
            subpath: ignored(NO_SWARM),
          },
        }),
        tmpfs: f({ object: { size: f('bytes'), mode: f('filemode') } }),
        image: ignored(NO_SWARM),
      },
      required: ['type'],
    },
  ],
};

const fileReference: ValueType = {
  oneOf: [
    'string',
    {
      object: {
        source: f('string'),
        target: f('string'),
        uid: f({ oneOf: ['string', 'integer'] }),
        gid: f({ oneOf: ['string', 'integer'] }),
        mode: f('filemode'),
      },
      required: ['source'],
    },
  ],
};

const serviceNetworks: ValueType = {
  oneOf: [
    listOfStrings,
    {
      map: {
        oneOf: [
          'null',
          {
            object: {
              aliases: f(listOfStrings),
              driver_opts: f({ map: 'scalar' }),
              ipv4_address: ignored(NO_NETWORKS),
              ipv6_address: ignored(NO_NETWORKS),
              link_local_ips: ignored(NO_NETWORKS),
              mac_address: ignored(NO_NETWORKS),
              interface_name: ignored(NO_NETWORKS),
              priority: ignored(NO_NETWORKS),
              gw_priority: ignored(NO_NETWORKS),
            },
          },
        ],
      },
      keys: NAME_KEY,
    },
  ],
};

const dependsOn: ValueType = {
  oneOf: [
    listOfStrings,
    {
      map: {
        object: {
          condition: f({ enum: ['service_started', 'service_healthy', 'service_completed_successfully'] }),
          required: f('boolean'),
          restart: ignored('Flotilla orders the first rollout only'),
        },
        required: ['condition'],
      },
      keys: NAME_KEY,
    },
  ],
};

export const SERVICE_FIELDS: Readonly<Record<string, Field>> = {
  // mapped
  build: f({ oneOf: ['string', { map: 'any' }] }),
  cap_add: f(listOfStrings),
  cap_drop: f(listOfStrings),
  command: f(command),
  configs: f({ list: fileReference }),
  depends_on: f(dependsOn),
  deploy: f(deploy),
  dns: f(stringOrList),
  dns_search: f(stringOrList),
  entrypoint: f(command),
  env_file: f({
    oneOf: [
      'string',
      {
        list: {
          oneOf: [
            'string',
            {
              object: { path: f('string'), required: f('boolean'), format: f('string') },
              required: ['path'],
            },
          ],
        },
      },
    ],
  }),
  environment: f(listOrDict),
  group_add: f({ list: { oneOf: ['string', 'integer'] } }),
  healthcheck: f(healthcheck),
  hostname: f('string'),
  image: f('string'),
  init: f('boolean'),
  labels: f(listOrDict),
  logging: f({ object: { driver: f('string'), options: f({ map: 'scalar' }) } }),
  networks: f(serviceNetworks),
  ports: f({ list: port }),
  pull_policy: f('string'),
  read_only: f('boolean'),
  restart: f('string'),
  secrets: f({ list: fileReference }),
  stdin_open: f('boolean'),
  stop_grace_period: f('duration'),
  stop_signal: f('string'),
  sysctls: f(listOrDict),
  tmpfs: f(stringOrList),
  tty: f('boolean'),
  ulimits: f({
    map: {
      oneOf: ['integer', { object: { soft: f('integer'), hard: f('integer') }, required: ['soft', 'hard'] }],
    },
  }),
  user: f('string'),
  volumes: f({ list: serviceVolume }),
  working_dir: f('string'),
  // valid compose that a Swarm-style service cannot express: warned about
  annotations: ignored(NO_SWARM),
  attach: ignored('logs are read with service logs'),
  blkio_config: ignored(NO_SWARM),
  cgroup: ignored(NO_SWARM),
  cgroup_parent: ignored(NO_SWARM),
  container_name: ignored('task containers are named <stack>_<service>.<slot>.<task id>'),
  cpu_count: ignored(RESOURCES),
  cpu_percent: ignored(RESOURCES),
  cpu_period: ignored(RESOURCES),
  cpu_rt_period: ignored(RESOURCES),
  cpu_rt_runtime: ignored(RESOURCES),
  cpus: ignored(RESOURCES),
  credential_spec: ignored('credential specs are Windows-only'),
  develop: ignored('development watch mode is a docker compose feature'),
  device_cgroup_rules: ignored(NO_SWARM),
  devices: ignored(NO_SWARM),
  dns_opt: ignored('docker stack deploy does not map it either'),
  domainname: ignored(NO_SWARM),
  expose: ignored("services on the same network reach each other's ports without it"),
  external_links: ignored(NO_NETWORKS),
  extra_hosts: ignored('the service spec has no hosts entries'),
  gpus: ignored(NO_SWARM),
  ipc: ignored(NO_SWARM),
  isolation: ignored('isolation modes are Windows-only'),
  label_file: ignored('write the labels in the file'),
  links: ignored(NO_NETWORKS),
  mac_address: ignored(NO_NETWORKS),
  mem_reservation: ignored(RESOURCES),
  mem_swappiness: ignored(NO_SWARM),
  models: ignored('AI models are a docker compose feature'),
  network_mode: ignored(NO_NETWORKS),
  oom_kill_disable: ignored(NO_SWARM),
  oom_score_adj: ignored(NO_SWARM),
  pid: ignored(NO_SWARM),
  pids_limit: ignored('set deploy.resources.limits.pids'),
  platform: ignored('use a placement constraint on node.platform'),
  post_start: ignored(NO_SWARM),
  pre_stop: ignored(NO_SWARM),
  privileged: ignored(NO_SWARM),
  profiles: ignored('a stack deploys every service'),
  provider: ignored('a stack deploys containers only'),
  pull_refresh_after: ignored(NO_SWARM),
  runtime: ignored(NO_SWARM),
  scale: ignored('use deploy.replicas'),
  security_opt: ignored(NO_SWARM),
  shm_size: ignored(NO_SWARM),
  storage_opt: ignored(NO_SWARM),
  use_api_socket: ignored(NO_SWARM),
  userns_mode: ignored(NO_SWARM),
  uts: ignored(NO_SWARM),
  // docker/cli's forbidden properties: a stack refuses them, with docker's hint
  extends: refused('extends is not supported for stacks'),
  volume_driver: refused('define a volume in the top-level volumes section and give it the driver there'),
  volumes_from: refused(
    'to share a volume between services, define it in the top-level volumes section and mount it in each service',
  ),
  cpu_quota: refused(RESOURCES),
  cpu_shares: refused(RESOURCES),
  cpuset: refused(RESOURCES),
  mem_limit: refused(RESOURCES),
  memswap_limit: refused(RESOURCES),
};

const network: ValueType = {
  oneOf: [
    'null',
    {
      object: {
        name: f('string'),
        driver: f('string'),
        driver_opts: f({ map: 'scalar' }),
        ipam: f('any'),
        external: f(external),
        internal: f('boolean'),
        enable_ipv4: f('boolean'),
        enable_ipv6: f('boolean'),
        attachable: f('boolean'),
        labels: f(listOrDict),
      },
    },
  ],
};

const volume: ValueType = {
  oneOf: [
    'null',
    {
      object: {
        name: f('string'),
        driver: f('string'),
        driver_opts: f({ map: 'scalar' }),
        external: f(external),
        labels: f(listOrDict),
      },
    },
  ],
};

const secret: ValueType = {
  object: {
    name: f('string'),
    environment: f('string'),
    file: f('string'),
    external: f(external),
    labels: f(listOrDict),
    driver: f('string'),
    driver_opts: f({ map: 'scalar' }),
    template_driver: f('string'),
  },
};

const config: ValueType = {
  object: {
    name: f('string'),
    content: f('string'),
    environment: f('string'),
    file: f('string'),
    external: f(external),
    labels: f(listOrDict),
    template_driver: f('string'),
  },
};

/** The top level of a compose file. */
export const COMPOSE_FILE: ValueType = {
  object: {
    version: f('string'),
    name: f('string', 'ignored', "the stack's name is the one given to deploy"),
    include: f('any', 'refused', 'include is not supported: list every file with -c instead'),
    services: f({ map: { object: SERVICE_FIELDS }, keys: NAME_KEY }),
    networks: f({ map: network, keys: NAME_KEY }),
    volumes: f({ map: volume, keys: NAME_KEY }),
    secrets: f({ map: secret, keys: NAME_KEY }),
    configs: f({ map: config, keys: NAME_KEY }),
    models: ignored('AI models are a docker compose feature'),
  },
};
