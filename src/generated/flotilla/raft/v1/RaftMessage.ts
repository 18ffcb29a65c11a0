// Original file: proto/raft.proto

import type { AppendRequest as _flotilla_raft_v1_AppendRequest, AppendRequest__Output as _flotilla_raft_v1_AppendRequest__Output } from '../../../flotilla/raft/v1/AppendRequest.js';
import type { AppendResponse as _flotilla_raft_v1_AppendResponse, AppendResponse__Output as _flotilla_raft_v1_AppendResponse__Output } from '../../../flotilla/raft/v1/AppendResponse.js';
import type { HeartbeatRequest as _flotilla_raft_v1_HeartbeatRequest, HeartbeatRequest__Output as _flotilla_raft_v1_HeartbeatRequest__Output } from '../../../flotilla/raft/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _flotilla_raft_v1_HeartbeatResponse, HeartbeatResponse__Output as _flotilla_raft_v1_HeartbeatResponse__Output } from '../../../flotilla/raft/v1/HeartbeatResponse.js';
import type { VoteRequest as _flotilla_raft_v1_VoteRequest, VoteRequest__Output as _flotilla_raft_v1_VoteRequest__Output } from '../../../flotilla/raft/v1/VoteRequest.js';
import type { VoteResponse as _flotilla_raft_v1_VoteResponse, VoteResponse__Output as _flotilla_raft_v1_VoteResponse__Output } from '../../../flotilla/raft/v1/VoteResponse.js';
import type { SnapshotChunk as _flotilla_raft_v1_SnapshotChunk, SnapshotChunk__Output as _flotilla_raft_v1_SnapshotChunk__Output } from '../../../flotilla/raft/v1/SnapshotChunk.js';
import type { SnapshotResponse as _flotilla_raft_v1_SnapshotResponse, SnapshotResponse__Output as _flotilla_raft_v1_SnapshotResponse__Output } from '../../../flotilla/raft/v1/SnapshotResponse.js';
import type { TimeoutNow as _flotilla_raft_v1_TimeoutNow, TimeoutNow__Output as _flotilla_raft_v1_TimeoutNow__Output } from '../../../flotilla/raft/v1/TimeoutNow.js';
import type { ProposeRequest as _flotilla_raft_v1_ProposeRequest, ProposeRequest__Output as _flotilla_raft_v1_ProposeRequest__Output } from '../../../flotilla/raft/v1/ProposeRequest.js';
import type { ProposeResponse as _flotilla_raft_v1_ProposeResponse, ProposeResponse__Output as _flotilla_raft_v1_ProposeResponse__Output } from '../../../flotilla/raft/v1/ProposeResponse.js';
import type { ReadIndexRequest as _flotilla_raft_v1_ReadIndexRequest, ReadIndexRequest__Output as _flotilla_raft_v1_ReadIndexRequest__Output } from '../../../flotilla/raft/v1/ReadIndexRequest.js';
import type { ReadIndexResponse as _flotilla_raft_v1_ReadIndexResponse, ReadIndexResponse__Output as _flotilla_raft_v1_ReadIndexResponse__Output } from '../../../flotilla/raft/v1/ReadIndexResponse.js';
import type { Long } from '@grpc/proto-loader';

export interface RaftMessage {
  'from'?: (string);
  'to'?: (string);
  'term'?: (number | string | Long);
  'app'?: (_flotilla_raft_v1_AppendRequest | null);
  'appResp'?: (_flotilla_raft_v1_AppendResponse | null);
  'heartbeat'?: (_flotilla_raft_v1_HeartbeatRequest | null);
  'heartbeatResp'?: (_flotilla_raft_v1_HeartbeatResponse | null);
  'vote'?: (_flotilla_raft_v1_VoteRequest | null);
  'voteResp'?: (_flotilla_raft_v1_VoteResponse | null);
  'preVote'?: (_flotilla_raft_v1_VoteRequest | null);
  'preVoteResp'?: (_flotilla_raft_v1_VoteResponse | null);
  'snap'?: (_flotilla_raft_v1_SnapshotChunk | null);
  'snapResp'?: (_flotilla_raft_v1_SnapshotResponse | null);
  'timeoutNow'?: (_flotilla_raft_v1_TimeoutNow | null);
  'prop'?: (_flotilla_raft_v1_ProposeRequest | null);
  'propResp'?: (_flotilla_raft_v1_ProposeResponse | null);
  'readIndex'?: (_flotilla_raft_v1_ReadIndexRequest | null);
  'readIndexResp'?: (_flotilla_raft_v1_ReadIndexResponse | null);
  'body'?: "app"|"appResp"|"heartbeat"|"heartbeatResp"|"vote"|"voteResp"|"preVote"|"preVoteResp"|"snap"|"snapResp"|"timeoutNow"|"prop"|"propResp"|"readIndex"|"readIndexResp";
}

export interface RaftMessage__Output {
  'from': (string);
  'to': (string);
  'term': (number);
  'app'?: (_flotilla_raft_v1_AppendRequest__Output | null);
  'appResp'?: (_flotilla_raft_v1_AppendResponse__Output | null);
  'heartbeat'?: (_flotilla_raft_v1_HeartbeatRequest__Output | null);
  'heartbeatResp'?: (_flotilla_raft_v1_HeartbeatResponse__Output | null);
  'vote'?: (_flotilla_raft_v1_VoteRequest__Output | null);
  'voteResp'?: (_flotilla_raft_v1_VoteResponse__Output | null);
  'preVote'?: (_flotilla_raft_v1_VoteRequest__Output | null);
  'preVoteResp'?: (_flotilla_raft_v1_VoteResponse__Output | null);
  'snap'?: (_flotilla_raft_v1_SnapshotChunk__Output | null);
  'snapResp'?: (_flotilla_raft_v1_SnapshotResponse__Output | null);
  'timeoutNow'?: (_flotilla_raft_v1_TimeoutNow__Output | null);
  'prop'?: (_flotilla_raft_v1_ProposeRequest__Output | null);
  'propResp'?: (_flotilla_raft_v1_ProposeResponse__Output | null);
  'readIndex'?: (_flotilla_raft_v1_ReadIndexRequest__Output | null);
  'readIndexResp'?: (_flotilla_raft_v1_ReadIndexResponse__Output | null);
  'body'?: "app"|"appResp"|"heartbeat"|"heartbeatResp"|"vote"|"voteResp"|"preVote"|"preVoteResp"|"snap"|"snapResp"|"timeoutNow"|"prop"|"propResp"|"readIndex"|"readIndexResp";
}
