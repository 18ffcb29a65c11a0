// Validation of a ClusterSpec (`docker swarm update`): orchestration, Raft, dispatcher, CA,
// encryption and task defaults. Rules follow SwarmKit's validateClusterSpec and etcd-raft's
// requirement that an election timeout outlast the heartbeat.

import {
  arrayOf,
  boolean,
  compact,
  duration,
  fail,
  Fields,
  integer,
  labels,
  nonEmptyString,
  oneOf,
  string,
  stringMap,
  type Check,
} from './checks.js';
import { HOUR } from './durations.js';
import type { CAConfig, ClusterSpec, ExternalCA, RaftConfig } from './objects.js';
import { DEFAULT_RAFT } from './defaults.js';
import { DNS_NAME, DNS_NAME_RULE, MAX_DNS_NAME_LENGTH, readDriver } from './validate-common.js';

const CLUSTER_FIELDS = [
  'name',
  'labels',
  'orchestration',
  'raft',
  'dispatcher',
  'caConfig',
  'encryptionConfig',
  'taskDefaults',
] as const;

export const readClusterSpec: Check<ClusterSpec> = (value, path) => {
  const f = Fields.of(value, path, CLUSTER_FIELDS);
  return compact({
    name: f.optional(
      'name',
      string({ nonEmpty: true, maxLength: MAX_DNS_NAME_LENGTH, pattern: [DNS_NAME, DNS_NAME_RULE] }),
    ),
    labels: f.optional('labels', labels),
    orchestration: f.optional('orchestration', (v, p) => {
      const o = Fields.of(v, p, ['taskHistoryRetentionLimit']);
      return compact({ taskHistoryRetentionLimit: o.optional('taskHistoryRetentionLimit', integer()) });
    }),
    raft: f.optional('raft', readRaftConfig),
    dispatcher: f.optional('dispatcher', (v, p) => {
      const o = Fields.of(v, p, ['heartbeatPeriod']);
      return compact({ heartbeatPeriod: o.optional('heartbeatPeriod', duration) });
    }),
    caConfig: f.optional('caConfig', readCAConfig),
    encryptionConfig: f.optional('encryptionConfig', (v, p) => {
      const o = Fields.of(v, p, ['autoLockManagers']);
      return compact({ autoLockManagers: o.optional('autoLockManagers', boolean) });
    }),
    taskDefaults: f.optional('taskDefaults', (v, p) => {
      const o = Fields.of(v, p, ['logDriver']);
      return compact({ logDriver: o.optional('logDriver', readDriver) });
    }),
  });
};

const readRaftConfig: Check<RaftConfig> = (value, path) => {
  const f = Fields.of(value, path, [
    'snapshotInterval',
    'keepOldSnapshots',
    'logEntriesForSlowFollowers',
    'electionTick',
    'heartbeatTick',
  ]);
  const raft: RaftConfig = compact({
    snapshotInterval: f.optional('snapshotInterval', integer(1)),
    keepOldSnapshots: f.optional('keepOldSnapshots', integer()),
    logEntriesForSlowFollowers: f.optional('logEntriesForSlowFollowers', integer()),
    electionTick: f.optional('electionTick', integer(1)),
    heartbeatTick: f.optional('heartbeatTick', integer(1)),
  });
  // Compared as they will apply, defaults included: {heartbeatTick: 20} alone is as wrong.
  const election = raft.electionTick ?? DEFAULT_RAFT.electionTick;
  const heartbeat = raft.heartbeatTick ?? DEFAULT_RAFT.heartbeatTick;
  if (election <= heartbeat) {
    fail(f.at('electionTick'), `must be greater than heartbeatTick (${heartbeat})`);
  }
  return raft;
};

const readExternalCA: Check<ExternalCA> = (value, path) => {
  const f = Fields.of(value, path, ['protocol', 'url', 'options', 'caCert']);
  return compact({
    protocol: f.required('protocol', oneOf(['cfssl'] as const)),
    url: f.required('url', string({ pattern: [/^https?:\/\/\S+$/, 'must be an http(s) URL'] })),
    options: f.optional('options', stringMap()),
    caCert: f.optional('caCert', nonEmptyString),
  });
};

/** SwarmKit's ca.MinNodeCertExpiration. */
const MIN_NODE_CERT_EXPIRY = HOUR;

const readCAConfig: Check<CAConfig> = (value, path) => {
  const f = Fields.of(value, path, [
    'nodeCertExpiry',
    'externalCAs',
    'signingCACert',
    'signingCAKey',
    'forceRotate',
  ]);
  const config: CAConfig = compact({
    nodeCertExpiry: f.optional('nodeCertExpiry', (v, p) => {
      const expiry = duration(v, p);
      if (expiry < MIN_NODE_CERT_EXPIRY) fail(p, 'must be at least 3600000000000 (1h)');
      return expiry;
    }),
    externalCAs: f.optional('externalCAs', arrayOf(readExternalCA)),
    signingCACert: f.optional('signingCACert', nonEmptyString),
    signingCAKey: f.optional('signingCAKey', nonEmptyString),
    forceRotate: f.optional('forceRotate', integer()),
  });
  // A signing key without its certificate cannot sign anything the cluster would trust.
  if (config.signingCAKey !== undefined && config.signingCACert === undefined) {
    fail(f.at('signingCACert'), 'required with signingCAKey');
  }
  return config;
};
