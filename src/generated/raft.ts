import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AppendRequest as _flotilla_raft_v1_AppendRequest, AppendRequest__Output as _flotilla_raft_v1_AppendRequest__Output } from './flotilla/raft/v1/AppendRequest.js';
import type { AppendResponse as _flotilla_raft_v1_AppendResponse, AppendResponse__Output as _flotilla_raft_v1_AppendResponse__Output } from './flotilla/raft/v1/AppendResponse.js';
import type { ConfState as _flotilla_raft_v1_ConfState, ConfState__Output as _flotilla_raft_v1_ConfState__Output } from './flotilla/raft/v1/ConfState.js';
import type { Entry as _flotilla_raft_v1_Entry, Entry__Output as _flotilla_raft_v1_Entry__Output } from './flotilla/raft/v1/Entry.js';
import type { HeartbeatRequest as _flotilla_raft_v1_HeartbeatRequest, HeartbeatRequest__Output as _flotilla_raft_v1_HeartbeatRequest__Output } from './flotilla/raft/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _flotilla_raft_v1_HeartbeatResponse, HeartbeatResponse__Output as _flotilla_raft_v1_HeartbeatResponse__Output } from './flotilla/raft/v1/HeartbeatResponse.js';
import type { MessageBatch as _flotilla_raft_v1_MessageBatch, MessageBatch__Output as _flotilla_raft_v1_MessageBatch__Output } from './flotilla/raft/v1/MessageBatch.js';
import type { ProposeRequest as _flotilla_raft_v1_ProposeRequest, ProposeRequest__Output as _flotilla_raft_v1_ProposeRequest__Output } from './flotilla/raft/v1/ProposeRequest.js';
import type { ProposeResponse as _flotilla_raft_v1_ProposeResponse, ProposeResponse__Output as _flotilla_raft_v1_ProposeResponse__Output } from './flotilla/raft/v1/ProposeResponse.js';
import type { ProposedEntry as _flotilla_raft_v1_ProposedEntry, ProposedEntry__Output as _flotilla_raft_v1_ProposedEntry__Output } from './flotilla/raft/v1/ProposedEntry.js';
import type { RaftClient as _flotilla_raft_v1_RaftClient, RaftDefinition as _flotilla_raft_v1_RaftDefinition } from './flotilla/raft/v1/Raft.js';
import type { RaftMessage as _flotilla_raft_v1_RaftMessage, RaftMessage__Output as _flotilla_raft_v1_RaftMessage__Output } from './flotilla/raft/v1/RaftMessage.js';
import type { ReadIndexRequest as _flotilla_raft_v1_ReadIndexRequest, ReadIndexRequest__Output as _flotilla_raft_v1_ReadIndexRequest__Output } from './flotilla/raft/v1/ReadIndexRequest.js';
import type { ReadIndexResponse as _flotilla_raft_v1_ReadIndexResponse, ReadIndexResponse__Output as _flotilla_raft_v1_ReadIndexResponse__Output } from './flotilla/raft/v1/ReadIndexResponse.js';
import type { SendAck as _flotilla_raft_v1_SendAck, SendAck__Output as _flotilla_raft_v1_SendAck__Output } from './flotilla/raft/v1/SendAck.js';
import type { SnapshotChunk as _flotilla_raft_v1_SnapshotChunk, SnapshotChunk__Output as _flotilla_raft_v1_SnapshotChunk__Output } from './flotilla/raft/v1/SnapshotChunk.js';
import type { SnapshotMetadata as _flotilla_raft_v1_SnapshotMetadata, SnapshotMetadata__Output as _flotilla_raft_v1_SnapshotMetadata__Output } from './flotilla/raft/v1/SnapshotMetadata.js';
import type { SnapshotResponse as _flotilla_raft_v1_SnapshotResponse, SnapshotResponse__Output as _flotilla_raft_v1_SnapshotResponse__Output } from './flotilla/raft/v1/SnapshotResponse.js';
import type { TimeoutNow as _flotilla_raft_v1_TimeoutNow, TimeoutNow__Output as _flotilla_raft_v1_TimeoutNow__Output } from './flotilla/raft/v1/TimeoutNow.js';
import type { VoteRequest as _flotilla_raft_v1_VoteRequest, VoteRequest__Output as _flotilla_raft_v1_VoteRequest__Output } from './flotilla/raft/v1/VoteRequest.js';
import type { VoteResponse as _flotilla_raft_v1_VoteResponse, VoteResponse__Output as _flotilla_raft_v1_VoteResponse__Output } from './flotilla/raft/v1/VoteResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    raft: {
      v1: {
        AppendRequest: MessageTypeDefinition<_flotilla_raft_v1_AppendRequest, _flotilla_raft_v1_AppendRequest__Output>
        AppendResponse: MessageTypeDefinition<_flotilla_raft_v1_AppendResponse, _flotilla_raft_v1_AppendResponse__Output>
        ConfState: MessageTypeDefinition<_flotilla_raft_v1_ConfState, _flotilla_raft_v1_ConfState__Output>
        Entry: MessageTypeDefinition<_flotilla_raft_v1_Entry, _flotilla_raft_v1_Entry__Output>
        EntryType: EnumTypeDefinition
        HeartbeatRequest: MessageTypeDefinition<_flotilla_raft_v1_HeartbeatRequest, _flotilla_raft_v1_HeartbeatRequest__Output>
        HeartbeatResponse: MessageTypeDefinition<_flotilla_raft_v1_HeartbeatResponse, _flotilla_raft_v1_HeartbeatResponse__Output>
        MessageBatch: MessageTypeDefinition<_flotilla_raft_v1_MessageBatch, _flotilla_raft_v1_MessageBatch__Output>
        ProposeRejectReason: EnumTypeDefinition
        ProposeRequest: MessageTypeDefinition<_flotilla_raft_v1_ProposeRequest, _flotilla_raft_v1_ProposeRequest__Output>
        ProposeResponse: MessageTypeDefinition<_flotilla_raft_v1_ProposeResponse, _flotilla_raft_v1_ProposeResponse__Output>
        ProposedEntry: MessageTypeDefinition<_flotilla_raft_v1_ProposedEntry, _flotilla_raft_v1_ProposedEntry__Output>
        Raft: SubtypeConstructor<typeof grpc.Client, _flotilla_raft_v1_RaftClient> & { service: _flotilla_raft_v1_RaftDefinition }
        RaftMessage: MessageTypeDefinition<_flotilla_raft_v1_RaftMessage, _flotilla_raft_v1_RaftMessage__Output>
        ReadIndexRequest: MessageTypeDefinition<_flotilla_raft_v1_ReadIndexRequest, _flotilla_raft_v1_ReadIndexRequest__Output>
        ReadIndexResponse: MessageTypeDefinition<_flotilla_raft_v1_ReadIndexResponse, _flotilla_raft_v1_ReadIndexResponse__Output>
        SendAck: MessageTypeDefinition<_flotilla_raft_v1_SendAck, _flotilla_raft_v1_SendAck__Output>
        SnapshotChunk: MessageTypeDefinition<_flotilla_raft_v1_SnapshotChunk, _flotilla_raft_v1_SnapshotChunk__Output>
        SnapshotMetadata: MessageTypeDefinition<_flotilla_raft_v1_SnapshotMetadata, _flotilla_raft_v1_SnapshotMetadata__Output>
        SnapshotResponse: MessageTypeDefinition<_flotilla_raft_v1_SnapshotResponse, _flotilla_raft_v1_SnapshotResponse__Output>
        TimeoutNow: MessageTypeDefinition<_flotilla_raft_v1_TimeoutNow, _flotilla_raft_v1_TimeoutNow__Output>
        VoteRequest: MessageTypeDefinition<_flotilla_raft_v1_VoteRequest, _flotilla_raft_v1_VoteRequest__Output>
        VoteResponse: MessageTypeDefinition<_flotilla_raft_v1_VoteResponse, _flotilla_raft_v1_VoteResponse__Output>
      }
    }
  }
}

