// The routing mesh's public face: the endpoint table (computed on managers, applied on every
// node), the per-node Mesh, PROXY protocol encoding, balancers and service discovery.

export {
  applyEndpointDelta,
  computeEndpointTable,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_UDP_IDLE_TIMEOUT_MS,
  diffEndpointTables,
  isEmptyDelta,
  MESH_LABELS,
  parseDurationMs,
  portKey,
  serviceSettings,
} from './endpoint-table.js';
export type {
  BalanceMode,
  EndpointDelta,
  EndpointTable,
  EndpointTableOptions,
  MeshBackend,
  MeshNodeAddress,
  MeshProtocol,
  ProxyProtocolMode,
  PublishedPortEntry,
} from './endpoint-table.js';
export { createBalancer, LeastConnectionsBalancer, RoundRobinBalancer } from './balancer.js';
export type { Balancer, Candidate } from './balancer.js';
export {
  decodeProxyHeader,
  encodeProxyHeader,
  encodeProxyV1,
  encodeProxyV2,
  PROXY_V2_SIGNATURE,
} from './proxy-protocol.js';
export type { DecodedProxyHeader, ProxiedAddresses } from './proxy-protocol.js';
export { DEFAULT_MESH_SETTINGS, DEFAULT_TUNNEL_SETTINGS, Mesh } from './mesh.js';
export type { MeshEvents, MeshOptions, TunnelSettings } from './mesh.js';
export type { LocalTaskResolver, MeshSettings, PortStatus, TaskAddress } from './context.js';
export { MeshError } from './errors.js';
export { DATA_PLANE_ENV, defaultDataPlaneWorkers } from './data-plane.js';
export type { DataPlaneOptions } from './data-plane.js';
export type { MeshErrorCode } from './errors.js';
export { computeServiceEndpoints, ServiceDirectory } from './discovery.js';
export type { ServiceDirectoryEvents, ServiceEndpoints, TaskEndpoint } from './discovery.js';
