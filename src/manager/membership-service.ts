// The Membership gRPC service (proto/membership.proto) every manager serves next to the Raft
// transport and the control API: Join adds a new manager as a Raft learner once its manager join
// secret checks out; Leave removes a manager (on the leader). Plus the client side of both.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isId } from '../api/index.js';
import type { JoinRequest__Output } from '../generated/flotilla/membership/v1/JoinRequest.js';
import type { JoinResponse, JoinResponse__Output } from '../generated/flotilla/membership/v1/JoinResponse.js';
import type { LeaveRequest__Output } from '../generated/flotilla/membership/v1/LeaveRequest.js';
import type { LeaveResponse } from '../generated/flotilla/membership/v1/LeaveResponse.js';
import type { MemberStatusRequest__Output } from '../generated/flotilla/membership/v1/MemberStatusRequest.js';
import type {
  MemberStatusResponse,
  MemberStatusResponse__Output,
} from '../generated/flotilla/membership/v1/MemberStatusResponse.js';
import type { MembershipClient as GeneratedClient } from '../generated/flotilla/membership/v1/Membership.js';
import type { ProtoGrpcType } from '../generated/membership.js';
import { InvalidConfChangeError, type RaftNode } from '../raft/index.js';
import type { Logger } from '../util/logger.js';
import type { ApiStore } from './control/index.js';
import { ControlError, errorFromStatus, FailedPreconditionError, toStatus } from './control/index.js';
import type { TransactionResult } from './store/index.js';

/** The manager join secret: 32 random bytes, base64url (the identity work turns it into tokens). */
export function newJoinSecret(random: (size: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(32)).toString('base64url');
}

/** Compares two secrets in constant time (hashing first makes the lengths equal too). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected !== '';
}

export class PermissionDeniedError extends ControlError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
    this.name = 'PermissionDeniedError';
  }
}

const WRONG_SECRET =
  'the manager join secret is not valid for this cluster (read it from the Cluster object, joinTokens.manager)';

let definition: ProtoGrpcType | undefined;

function loadDefinition(): ProtoGrpcType {
  if (definition) return definition;
  let dir = dirname(fileURLToPath(import.meta.url));
  let file = '';
  for (;;) {
    const candidate = join(dir, 'proto', 'membership.proto');
    if (existsSync(candidate)) {
      file = candidate;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`proto/membership.proto not found above ${dir}`);
    dir = parent;
  }
  // The same options as the generated types (npm run gen:proto).
  const packageDefinition = protoLoader.loadSync(file, {
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  definition = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  return definition;
}

export interface MembershipServiceOptions {
  store: ApiStore;
  node: RaftNode<TransactionResult>;
  logger: Logger;
  /** Called once a learner was added, so the leader's loop promotes it soon. */
  onLearnerAdded?: () => void;
  timeoutMs?: number;
}

export function registerMembershipService(server: grpc.Server, options: MembershipServiceOptions): void {
  const log = options.logger.child({ component: 'membership' });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { store, node } = options;

  /** The cluster's manager join secret, as of a linearizable read (a rotated one counts at once). */
  const checkSecret = async (secret: string): Promise<string> => {
    await store.readBarrier({ timeoutMs });
    const [cluster] = store.list('cluster');
    if (!cluster) throw new FailedPreconditionError('the cluster is not initialised yet (no cluster object)');
    if (!secretsEqual(secret, cluster.joinTokens.manager)) throw new PermissionDeniedError(WRONG_SECRET);
    return cluster.id;
  };

  const join = async (request: JoinRequest__Output): Promise<JoinResponse> => {
    if (!isId(request.nodeId)) throw new ControlError('INVALID_ARGUMENT', 'nodeId: not a node id');
    if (!/^[^\s:]+:\d{1,5}$/.test(request.address))
      throw new ControlError('INVALID_ARGUMENT', 'address: expected host:port');
    const clusterId = await checkSecret(request.secret);
    const conf = node.membership();
    const known = conf.addresses[request.nodeId];
    const isMember = conf.voters.includes(request.nodeId) || conf.learners.includes(request.nodeId);
    if (isMember && known !== request.address)
      throw new FailedPreconditionError(
        `node ${request.nodeId} is already a member at ${known ?? '?'}; restart it from its data directory`,
      );
    // A retried Join (the answer was lost) finds the learner already there and gets the same reply.
    if (!isMember) {
      // Forwarded to the leader; resolves once the change is applied here.
      await node.addLearner(request.nodeId, request.address, { forward: true, timeoutMs });
      log.info('added a joining manager as a learner', { node: request.nodeId, address: request.address });
    }
    options.onLearnerAdded?.();
    const after = node.membership();
    return {
      members: [...after.voters, ...after.learners].map((id) => ({ id, address: after.addresses[id] ?? '' })),
      leaderId: node.leader().id,
      clusterId,
    };
  };

  const leave = async (request: LeaveRequest__Output): Promise<LeaveResponse> => {
    await checkSecret(request.secret);
    if (node.isLeader() && request.nodeId === node.id) {
      // Removing the leader itself: hand over first, so the cluster never waits out an election.
      const conf = node.membership();
      if (conf.voters.length === 1)
        throw new FailedPreconditionError('the last manager of the cluster cannot leave it');
      await node.transferLeadership(undefined, { timeoutMs });
    }
    if (!node.isLeader()) {
      // Only the leader knows when a removal commits: the member removed may never hear of it.
      if (node.leader().id === '') await node.waitForLeader(timeoutMs);
      await callLeave(node.leader().address, request, timeoutMs);
      return {};
    }
    const conf = node.membership();
    if (!conf.voters.includes(request.nodeId) && !conf.learners.includes(request.nodeId)) return {};
    if (conf.voters.length === 1 && conf.voters[0] === request.nodeId)
      throw new FailedPreconditionError('the last manager of the cluster cannot leave it');
    try {
      await node.removeMember(request.nodeId, { timeoutMs });
    } catch (err) {
      if (err instanceof InvalidConfChangeError) throw new FailedPreconditionError(err.message);
      throw err;
    }
    log.info('removed a manager from the Raft membership', { node: request.nodeId });
    return {};
  };

  const memberStatus = async (request: MemberStatusRequest__Output): Promise<MemberStatusResponse> => {
    if (!isId(request.nodeId)) throw new ControlError('INVALID_ARGUMENT', 'nodeId: not a node id');
    const conf = node.membership();
    return {
      member: conf.voters.includes(request.nodeId) || conf.learners.includes(request.nodeId),
      appliedIndex: node.status().appliedIndex,
      leaderId: node.leader().id,
    };
  };

  const unary =
    <Req, Res>(method: string, handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (err: unknown) => callback(toStatus(err, log, { method })),
      );
    };
  server.addService(loadDefinition().flotilla.membership.v1.Membership.service, {
    Join: unary('Join', join),
    Leave: unary('Leave', leave),
    MemberStatus: unary('MemberStatus', memberStatus),
  });
}

function client(address: string): GeneratedClient {
  const Client = loadDefinition().flotilla.membership.v1.Membership;
  return new Client(address, grpc.credentials.createInsecure());
}

function call<Res>(
  address: string,
  timeoutMs: number,
  invoke: (c: GeneratedClient, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void,
): Promise<Res> {
  const c = client(address);
  return new Promise<Res>((resolve, reject) => {
    invoke(c, { deadline: Date.now() + timeoutMs }, (err, response) => {
      c.close();
      if (err) reject(errorFromStatus(err));
      else if (response === undefined) reject(new ControlError('INTERNAL', 'empty response'));
      else resolve(response);
    });
  });
}

/** Asks the manager at `address` to add this node as a learner. */
export function callJoin(
  address: string,
  request: { secret: string; nodeId: string; address: string },
  timeoutMs = 15_000,
): Promise<JoinResponse__Output> {
  return call(address, timeoutMs, (c, options, cb) => c.join(request, options, cb));
}

/** Asks the manager at `address` (forwarded to the leader) to remove a manager from Raft. */
export async function callLeave(
  address: string,
  request: { secret: string; nodeId: string },
  timeoutMs = 15_000,
): Promise<void> {
  await call(address, timeoutMs, (c, options, cb) => c.leave(request, options, cb));
}

/** Asks the manager at `address` whether `nodeId` is in its applied Raft membership. */
export function callMemberStatus(
  address: string,
  nodeId: string,
  timeoutMs = 2_000,
): Promise<MemberStatusResponse__Output> {
  return call(address, timeoutMs, (c, options, cb) => c.memberStatus({ nodeId }, options, cb));
}
