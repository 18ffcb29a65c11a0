// Original file: proto/raft.proto

import type { EntryType as _flotilla_raft_v1_EntryType, EntryType__Output as _flotilla_raft_v1_EntryType__Output } from '../../../flotilla/raft/v1/EntryType.js';

export interface ProposedEntry {
  'type'?: (_flotilla_raft_v1_EntryType);
  'data'?: (Buffer | Uint8Array | string);
}

export interface ProposedEntry__Output {
  'type': (_flotilla_raft_v1_EntryType__Output);
  'data': (Buffer);
}
