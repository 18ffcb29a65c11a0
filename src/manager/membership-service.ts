// The Membership gRPC service (proto/membership.proto) every manager serves next to the Raft
// transport and the control API: Join adds the calling manager as a Raft learner; Leave removes
// a manager (on the leader); MemberStatus tells a member whether it still is one. Every call
// needs a manager certificate (the CA issued it for a manager join token); the node a call
// concerns is the caller's own. Plus the client side of all three.

import * as grpc from '@grpc/grpc-js';
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
import { ControlError, FailedPreconditionError } from './control/index.js';
import type { Authorizer } from './authz.js';
import { loadProtoPackage } from '../util/proto-package.js';
import { callUnary } from '../client/unary.js';
import { unaryHandler } from './unary.js';
import type { TransactionResult } from './store/index.js';

export interface MembershipServiceOptions {
  store: ApiStore;
  authorizer: Authorizer;
  /** This manager's channel credentials, to forward a leave to the leader. */
  credentials: () => grpc.ChannelCredentials;
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

  /** The calling manager's node id, proved by its certificate. */
  const caller = (call: grpc.ServerUnaryCall<unknown, unknown>): string => {
    const identity = options.authorizer.require(call, ['manager']);
    if (identity === null) throw new FailedPreconditionError('membership calls need a manager certificate');
    return identity.nodeId;
  };

  const join = async (
    request: JoinRequest__Output,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<JoinResponse> => {
    const nodeId = caller(call);
    if (!/^[^\s:]+:\d{1,5}$/.test(request.address))
      throw new ControlError('INVALID_ARGUMENT', 'address: expected host:port');
    await store.readBarrier({ timeoutMs });
    const [cluster] = store.list('cluster');
    if (!cluster) throw new FailedPreconditionError('the cluster is not initialised yet (no cluster object)');
    if (store.get('node', nodeId)?.spec.role !== 'manager')
      throw new ControlError('PERMISSION_DENIED', `node ${nodeId} is not a manager of this cluster`);
    const clusterId = cluster.id;
    const conf = node.membership();
    const known = conf.addresses[nodeId];
    const isMember = conf.voters.includes(nodeId) || conf.learners.includes(nodeId);
    if (isMember && known !== request.address)
      throw new FailedPreconditionError(
        `node ${nodeId} is already a member at ${known ?? '?'}; restart it from its data directory`,
      );
    // A retried Join (the answer was lost) finds the learner already there and gets the same reply.
    if (!isMember) {
      // Forwarded to the leader; resolves once the change is applied here.
      await node.addLearner(nodeId, request.address, { forward: true, timeoutMs });
      log.info('added a joining manager as a learner', { node: nodeId, address: request.address });
    }
    options.onLearnerAdded?.();
    const after = node.membership();
    return {
      members: [...after.voters, ...after.learners].map((id) => ({ id, address: after.addresses[id] ?? '' })),
      leaderId: node.leader().id,
      clusterId,
    };
  };

  const leave = async (
    request: LeaveRequest__Output,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<LeaveResponse> => {
    // A forwarded leave arrives from a manager on behalf of the leaving one; both are managers.
    caller(call);
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
      await callLeave(node.leader().address, options.credentials(), request, timeoutMs);
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

  const memberStatus = async (
    request: MemberStatusRequest__Output,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<MemberStatusResponse> => {
    caller(call);
    if (!isId(request.nodeId)) throw new ControlError('INVALID_ARGUMENT', 'nodeId: not a node id');
    const conf = node.membership();
    return {
      member: conf.voters.includes(request.nodeId) || conf.learners.includes(request.nodeId),
      appliedIndex: node.status().appliedIndex,
      leaderId: node.leader().id,
    };
  };

  server.addService(loadDefinition().flotilla.membership.v1.Membership.service, {
    Join: unaryHandler(log, 'Join', join),
    Leave: unaryHandler(log, 'Leave', leave),
    MemberStatus: unaryHandler(log, 'MemberStatus', memberStatus),
  });
}

function loadDefinition(): ProtoGrpcType {
  return loadProtoPackage<ProtoGrpcType>('membership.proto');
}

function client(address: string, credentials: grpc.ChannelCredentials): GeneratedClient {
  const Client = loadDefinition().flotilla.membership.v1.Membership;
  return new Client(address, credentials);
}

function call<Res>(
  address: string,
  credentials: grpc.ChannelCredentials,
  timeoutMs: number,
  invoke: (c: GeneratedClient, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void,
): Promise<Res> {
  return callUnary(client(address, credentials), timeoutMs, invoke);
}

/** Asks the manager at `address` to add the caller (its certificate names it) as a learner. */
export function callJoin(
  address: string,
  credentials: grpc.ChannelCredentials,
  request: { address: string },
  timeoutMs = 15_000,
): Promise<JoinResponse__Output> {
  return call(address, credentials, timeoutMs, (c, options, cb) => c.join(request, options, cb));
}

/** Asks the manager at `address` (forwarded to the leader) to remove a manager from Raft. */
export async function callLeave(
  address: string,
  credentials: grpc.ChannelCredentials,
  request: { nodeId: string },
  timeoutMs = 15_000,
): Promise<void> {
  await call(address, credentials, timeoutMs, (c, options, cb) => c.leave(request, options, cb));
}

/** Asks the manager at `address` whether `nodeId` is in its applied Raft membership. */
export function callMemberStatus(
  address: string,
  credentials: grpc.ChannelCredentials,
  nodeId: string,
  timeoutMs = 2_000,
): Promise<MemberStatusResponse__Output> {
  return call(address, credentials, timeoutMs, (c, options, cb) => c.memberStatus({ nodeId }, options, cb));
}
