import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { LockedClient as _flotilla_unlock_v1_LockedClient, LockedDefinition as _flotilla_unlock_v1_LockedDefinition } from './flotilla/unlock/v1/Locked.js';
import type { UnlockRequest as _flotilla_unlock_v1_UnlockRequest, UnlockRequest__Output as _flotilla_unlock_v1_UnlockRequest__Output } from './flotilla/unlock/v1/UnlockRequest.js';
import type { UnlockResponse as _flotilla_unlock_v1_UnlockResponse, UnlockResponse__Output as _flotilla_unlock_v1_UnlockResponse__Output } from './flotilla/unlock/v1/UnlockResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    unlock: {
      v1: {
        Locked: SubtypeConstructor<typeof grpc.Client, _flotilla_unlock_v1_LockedClient> & { service: _flotilla_unlock_v1_LockedDefinition }
        UnlockRequest: MessageTypeDefinition<_flotilla_unlock_v1_UnlockRequest, _flotilla_unlock_v1_UnlockRequest__Output>
        UnlockResponse: MessageTypeDefinition<_flotilla_unlock_v1_UnlockResponse, _flotilla_unlock_v1_UnlockResponse__Output>
      }
    }
  }
}

