import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AssignedTask as _flotilla_dispatcher_v1_AssignedTask, AssignedTask__Output as _flotilla_dispatcher_v1_AssignedTask__Output } from './flotilla/dispatcher/v1/AssignedTask.js';
import type { AssignmentsMessage as _flotilla_dispatcher_v1_AssignmentsMessage, AssignmentsMessage__Output as _flotilla_dispatcher_v1_AssignmentsMessage__Output } from './flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { AssignmentsRequest as _flotilla_dispatcher_v1_AssignmentsRequest, AssignmentsRequest__Output as _flotilla_dispatcher_v1_AssignmentsRequest__Output } from './flotilla/dispatcher/v1/AssignmentsRequest.js';
import type { DispatcherClient as _flotilla_dispatcher_v1_DispatcherClient, DispatcherDefinition as _flotilla_dispatcher_v1_DispatcherDefinition } from './flotilla/dispatcher/v1/Dispatcher.js';
import type { EndpointsMessage as _flotilla_dispatcher_v1_EndpointsMessage, EndpointsMessage__Output as _flotilla_dispatcher_v1_EndpointsMessage__Output } from './flotilla/dispatcher/v1/EndpointsMessage.js';
import type { EndpointsRequest as _flotilla_dispatcher_v1_EndpointsRequest, EndpointsRequest__Output as _flotilla_dispatcher_v1_EndpointsRequest__Output } from './flotilla/dispatcher/v1/EndpointsRequest.js';
import type { HeartbeatRequest as _flotilla_dispatcher_v1_HeartbeatRequest, HeartbeatRequest__Output as _flotilla_dispatcher_v1_HeartbeatRequest__Output } from './flotilla/dispatcher/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _flotilla_dispatcher_v1_HeartbeatResponse, HeartbeatResponse__Output as _flotilla_dispatcher_v1_HeartbeatResponse__Output } from './flotilla/dispatcher/v1/HeartbeatResponse.js';
import type { LogLine as _flotilla_dispatcher_v1_LogLine, LogLine__Output as _flotilla_dispatcher_v1_LogLine__Output } from './flotilla/dispatcher/v1/LogLine.js';
import type { LogSubscription as _flotilla_dispatcher_v1_LogSubscription, LogSubscription__Output as _flotilla_dispatcher_v1_LogSubscription__Output } from './flotilla/dispatcher/v1/LogSubscription.js';
import type { LogSubscriptionsRequest as _flotilla_dispatcher_v1_LogSubscriptionsRequest, LogSubscriptionsRequest__Output as _flotilla_dispatcher_v1_LogSubscriptionsRequest__Output } from './flotilla/dispatcher/v1/LogSubscriptionsRequest.js';
import type { Manager as _flotilla_dispatcher_v1_Manager, Manager__Output as _flotilla_dispatcher_v1_Manager__Output } from './flotilla/dispatcher/v1/Manager.js';
import type { Payload as _flotilla_dispatcher_v1_Payload, Payload__Output as _flotilla_dispatcher_v1_Payload__Output } from './flotilla/dispatcher/v1/Payload.js';
import type { PublishLogsMessage as _flotilla_dispatcher_v1_PublishLogsMessage, PublishLogsMessage__Output as _flotilla_dispatcher_v1_PublishLogsMessage__Output } from './flotilla/dispatcher/v1/PublishLogsMessage.js';
import type { PublishLogsResponse as _flotilla_dispatcher_v1_PublishLogsResponse, PublishLogsResponse__Output as _flotilla_dispatcher_v1_PublishLogsResponse__Output } from './flotilla/dispatcher/v1/PublishLogsResponse.js';
import type { SessionMessage as _flotilla_dispatcher_v1_SessionMessage, SessionMessage__Output as _flotilla_dispatcher_v1_SessionMessage__Output } from './flotilla/dispatcher/v1/SessionMessage.js';
import type { SessionRequest as _flotilla_dispatcher_v1_SessionRequest, SessionRequest__Output as _flotilla_dispatcher_v1_SessionRequest__Output } from './flotilla/dispatcher/v1/SessionRequest.js';
import type { TaskStatusUpdate as _flotilla_dispatcher_v1_TaskStatusUpdate, TaskStatusUpdate__Output as _flotilla_dispatcher_v1_TaskStatusUpdate__Output } from './flotilla/dispatcher/v1/TaskStatusUpdate.js';
import type { UpdateTaskStatusRequest as _flotilla_dispatcher_v1_UpdateTaskStatusRequest, UpdateTaskStatusRequest__Output as _flotilla_dispatcher_v1_UpdateTaskStatusRequest__Output } from './flotilla/dispatcher/v1/UpdateTaskStatusRequest.js';
import type { UpdateTaskStatusResponse as _flotilla_dispatcher_v1_UpdateTaskStatusResponse, UpdateTaskStatusResponse__Output as _flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output } from './flotilla/dispatcher/v1/UpdateTaskStatusResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    dispatcher: {
      v1: {
        AssignedTask: MessageTypeDefinition<_flotilla_dispatcher_v1_AssignedTask, _flotilla_dispatcher_v1_AssignedTask__Output>
        AssignmentsMessage: MessageTypeDefinition<_flotilla_dispatcher_v1_AssignmentsMessage, _flotilla_dispatcher_v1_AssignmentsMessage__Output>
        AssignmentsRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_AssignmentsRequest, _flotilla_dispatcher_v1_AssignmentsRequest__Output>
        Dispatcher: SubtypeConstructor<typeof grpc.Client, _flotilla_dispatcher_v1_DispatcherClient> & { service: _flotilla_dispatcher_v1_DispatcherDefinition }
        EndpointsMessage: MessageTypeDefinition<_flotilla_dispatcher_v1_EndpointsMessage, _flotilla_dispatcher_v1_EndpointsMessage__Output>
        EndpointsRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_EndpointsRequest, _flotilla_dispatcher_v1_EndpointsRequest__Output>
        HeartbeatRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_HeartbeatRequest, _flotilla_dispatcher_v1_HeartbeatRequest__Output>
        HeartbeatResponse: MessageTypeDefinition<_flotilla_dispatcher_v1_HeartbeatResponse, _flotilla_dispatcher_v1_HeartbeatResponse__Output>
        LogLine: MessageTypeDefinition<_flotilla_dispatcher_v1_LogLine, _flotilla_dispatcher_v1_LogLine__Output>
        LogSubscription: MessageTypeDefinition<_flotilla_dispatcher_v1_LogSubscription, _flotilla_dispatcher_v1_LogSubscription__Output>
        LogSubscriptionsRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_LogSubscriptionsRequest, _flotilla_dispatcher_v1_LogSubscriptionsRequest__Output>
        Manager: MessageTypeDefinition<_flotilla_dispatcher_v1_Manager, _flotilla_dispatcher_v1_Manager__Output>
        Payload: MessageTypeDefinition<_flotilla_dispatcher_v1_Payload, _flotilla_dispatcher_v1_Payload__Output>
        PublishLogsMessage: MessageTypeDefinition<_flotilla_dispatcher_v1_PublishLogsMessage, _flotilla_dispatcher_v1_PublishLogsMessage__Output>
        PublishLogsResponse: MessageTypeDefinition<_flotilla_dispatcher_v1_PublishLogsResponse, _flotilla_dispatcher_v1_PublishLogsResponse__Output>
        SessionMessage: MessageTypeDefinition<_flotilla_dispatcher_v1_SessionMessage, _flotilla_dispatcher_v1_SessionMessage__Output>
        SessionRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_SessionRequest, _flotilla_dispatcher_v1_SessionRequest__Output>
        TaskStatusUpdate: MessageTypeDefinition<_flotilla_dispatcher_v1_TaskStatusUpdate, _flotilla_dispatcher_v1_TaskStatusUpdate__Output>
        UpdateTaskStatusRequest: MessageTypeDefinition<_flotilla_dispatcher_v1_UpdateTaskStatusRequest, _flotilla_dispatcher_v1_UpdateTaskStatusRequest__Output>
        UpdateTaskStatusResponse: MessageTypeDefinition<_flotilla_dispatcher_v1_UpdateTaskStatusResponse, _flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>
      }
    }
  }
}

