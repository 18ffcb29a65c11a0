// The flags of `service create` and `service update`, as docker's: the settings both take, and
// update's -add/-rm list edits. service-spec.ts turns what they parse into a ServiceSpec.

import type { FlagDef } from './args.js';

/** The commands that change a service wait for it to converge, showing progress, unless told not to. */
export const serviceDetachFlag: FlagDef = {
  name: 'detach',
  short: 'd',
  kind: 'bool',
  help: 'Exit immediately instead of waiting for the service to converge',
};
export const progressQuietFlag: FlagDef = {
  name: 'quiet',
  short: 'q',
  kind: 'bool',
  help: 'Suppress progress output',
};

/** Flags `service create` and `service update` share (the settings, not the list edits). */
const commonFlags: FlagDef[] = [
  { name: 'replicas', kind: 'uint', help: 'Number of tasks' },
  {
    name: 'max-concurrent',
    kind: 'uint',
    help: 'Number of job tasks to run concurrently (default equal to --replicas)',
  },
  {
    name: 'replicas-max-per-node',
    kind: 'uint',
    help: 'Maximum number of tasks per node (default 0 = unlimited)',
  },
  { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
  { name: 'user', short: 'u', kind: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'hostname', kind: 'string', help: 'Container hostname' },
  { name: 'entrypoint', kind: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'limit-cpu', kind: 'cpus', help: 'Limit CPUs' },
  { name: 'limit-memory', kind: 'bytes', help: 'Limit Memory' },
  { name: 'limit-pids', kind: 'uint', help: 'Limit maximum number of processes (default 0 = unlimited)' },
  { name: 'reserve-cpu', kind: 'cpus', help: 'Reserve CPUs' },
  { name: 'reserve-memory', kind: 'bytes', help: 'Reserve Memory' },
  {
    name: 'restart-condition',
    kind: 'string',
    help: 'Restart when condition is met ("none", "on-failure", "any")',
  },
  { name: 'restart-delay', kind: 'duration', help: 'Delay between restart attempts (ns|us|ms|s|m|h)' },
  { name: 'restart-max-attempts', kind: 'uint', help: 'Maximum number of restarts before giving up' },
  {
    name: 'restart-window',
    kind: 'duration',
    help: 'Window used to evaluate the restart policy (ns|us|ms|s|m|h)',
  },
  ...updateConfigFlags('update'),
  ...updateConfigFlags('rollback'),
  { name: 'health-cmd', kind: 'string', help: 'Command to run to check health' },
  { name: 'health-interval', kind: 'duration', help: 'Time between running the check (ms|s|m|h)' },
  { name: 'health-retries', kind: 'uint', help: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-timeout', kind: 'duration', help: 'Maximum time to allow one check to run (ms|s|m|h)' },
  {
    name: 'health-start-period',
    kind: 'duration',
    help: 'Start period for the container to initialize before counting retries',
  },
  { name: 'no-healthcheck', kind: 'bool', help: 'Disable any container-specified HEALTHCHECK' },
  {
    name: 'stop-grace-period',
    kind: 'duration',
    help: 'Time to wait before force killing a container (ns|us|ms|s|m|h)',
  },
  { name: 'stop-signal', kind: 'string', help: 'Signal to stop the container' },
  { name: 'read-only', kind: 'bool', help: "Mount the container's root filesystem as read only" },
  {
    name: 'init',
    kind: 'bool',
    help: 'Use an init inside each service container to forward signals and reap processes',
  },
  { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
  { name: 'endpoint-mode', kind: 'string', help: 'Endpoint mode (vip or dnsrr)' },
  serviceDetachFlag,
  progressQuietFlag,
];

function updateConfigFlags(prefix: 'update' | 'rollback'): FlagDef[] {
  const what = prefix === 'update' ? 'update' : 'rollback';
  return [
    {
      name: `${prefix}-parallelism`,
      kind: 'uint',
      help: `Maximum number of tasks updated simultaneously (0 to ${what} all at once)`,
    },
    { name: `${prefix}-delay`, kind: 'duration', help: `Delay between ${what}s (ns|us|ms|s|m|h)` },
    {
      name: `${prefix}-failure-action`,
      kind: 'string',
      help: `Action on ${what} failure ("pause", "continue"${prefix === 'update' ? ', "rollback"' : ''})`,
    },
    {
      name: `${prefix}-monitor`,
      kind: 'duration',
      help: `Duration after each task ${what} to monitor for failure (ns|us|ms|s|m|h)`,
    },
    {
      name: `${prefix}-max-failure-ratio`,
      kind: 'float',
      help: `Failure rate to tolerate during an ${what}`,
    },
    { name: `${prefix}-order`, kind: 'string', help: `${what} order ("start-first", "stop-first")` },
  ];
}

export const serviceCreateFlags: FlagDef[] = [
  { name: 'name', kind: 'string', help: 'Service name' },
  {
    name: 'mode',
    kind: 'string',
    help: 'Service mode ("replicated", "global", "replicated-job", "global-job")',
  },
  { name: 'env', short: 'e', kind: 'list', help: 'Set environment variables' },
  { name: 'label', short: 'l', kind: 'list', help: 'Service labels' },
  { name: 'container-label', kind: 'list', help: 'Container labels' },
  { name: 'mount', kind: 'list', help: 'Attach a filesystem mount to the service' },
  { name: 'secret', kind: 'list', help: 'Specify secrets to expose to the service' },
  { name: 'config', kind: 'list', help: 'Specify configurations to expose to the service' },
  { name: 'publish', short: 'p', kind: 'list', help: 'Publish a port as a node port' },
  { name: 'constraint', kind: 'list', help: 'Placement constraints' },
  { name: 'placement-pref', kind: 'list', help: 'Add a placement preference' },
  { name: 'group', kind: 'list', help: 'Set one or more supplementary user groups for the container' },
  { name: 'cap-add', kind: 'list', help: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', help: 'Drop Linux capabilities' },
  { name: 'sysctl', kind: 'list', help: 'Sysctl options' },
  { name: 'dns', kind: 'list', help: 'Set custom DNS servers' },
  { name: 'dns-search', kind: 'list', help: 'Set custom DNS search domains' },
  { name: 'dns-option', kind: 'list', help: 'Set DNS options' },
  ...commonFlags,
];

export const serviceUpdateFlags: FlagDef[] = [
  { name: 'image', kind: 'string', help: 'Service image tag' },
  { name: 'args', kind: 'string', help: 'Service command args' },
  { name: 'force', kind: 'bool', help: 'Force update even if no changes require it' },
  { name: 'rollback', kind: 'bool', help: 'Rollback to previous specification' },
  { name: 'env-add', kind: 'list', help: 'Add or update an environment variable' },
  { name: 'env-rm', kind: 'list', help: 'Remove an environment variable' },
  { name: 'label-add', kind: 'list', help: 'Add or update a service label' },
  { name: 'label-rm', kind: 'list', help: 'Remove a label by its key' },
  { name: 'container-label-add', kind: 'list', help: 'Add or update a container label' },
  { name: 'container-label-rm', kind: 'list', help: 'Remove a container label by its key' },
  { name: 'mount-add', kind: 'list', help: 'Add or update a mount on a service' },
  { name: 'mount-rm', kind: 'list', help: 'Remove a mount by its target path' },
  { name: 'secret-add', kind: 'list', help: 'Add or update a secret on a service' },
  { name: 'secret-rm', kind: 'list', help: 'Remove a secret' },
  { name: 'config-add', kind: 'list', help: 'Add or update a config file on a service' },
  { name: 'config-rm', kind: 'list', help: 'Remove a configuration file' },
  { name: 'publish-add', kind: 'list', help: 'Add or update a published port' },
  { name: 'publish-rm', kind: 'list', help: 'Remove a published port by its target port' },
  { name: 'constraint-add', kind: 'list', help: 'Add or update a placement constraint' },
  { name: 'constraint-rm', kind: 'list', help: 'Remove a constraint' },
  { name: 'placement-pref-add', kind: 'list', help: 'Add a placement preference' },
  { name: 'placement-pref-rm', kind: 'list', help: 'Remove a placement preference' },
  { name: 'group-add', kind: 'list', help: 'Add an additional supplementary user group to the container' },
  {
    name: 'group-rm',
    kind: 'list',
    help: 'Remove a previously added supplementary user group from the container',
  },
  ...commonFlags,
];
