// Original file: proto/raft.proto

import type { ProposedEntry as _flotilla_raft_v1_ProposedEntry, ProposedEntry__Output as _flotilla_raft_v1_ProposedEntry__Output } from '../../../flotilla/raft/v1/ProposedEntry.js';

export interface ProposeRequest {
  'entries'?: (_flotilla_raft_v1_ProposedEntry)[];
  'contexts'?: (string)[];
}

export interface ProposeRequest__Output {
  'entries': (_flotilla_raft_v1_ProposedEntry__Output)[];
  'contexts': (string)[];
}
