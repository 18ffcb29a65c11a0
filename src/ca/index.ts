// The cluster certificate authority's public face: the root CA, node keys and CSRs, issuing and
// verifying node certificates, Swarm-style join tokens, renewal timing, the certificate files of
// a data directory, and mutual-TLS credentials for gRPC.

export { CertificateError, isCertificateError } from './errors.js';
export type { CertificateErrorCode } from './errors.js';
export { CERT_BACKDATE_MS, CERTIFICATE_ROLES, isCertificateRole } from './x509.js';
export type { CertificateIdentity, CertificateRole } from './x509.js';
export {
  createRootCA,
  crossSignRoot,
  DEFAULT_ROOT_VALIDITY_MS,
  loadSigningCA,
  LoadedSigningCA,
  ROOT_CA_COMMON_NAME,
} from './root-ca.js';
export type { RootCAOptions, SigningCA } from './root-ca.js';
export { createCsr, generateNodeKey } from './node-key.js';
export type { CsrOptions } from './node-key.js';
export { DEFAULT_NODE_VALIDITY_MS, issueNodeCertificate } from './issue.js';
export type { IssueOptions } from './issue.js';
export { verifyCertificate } from './verify.js';
export type { VerifiedCertificate, VerifyOptions } from './verify.js';
export {
  checkRootAgainstToken,
  joinSecretMatches,
  joinTokenForRoot,
  newJoinToken,
  parseJoinToken,
  rootCADigest,
} from './join-token.js';
export type { ParsedJoinToken } from './join-token.js';
export { renewalDelayMs, RENEWAL_WINDOW_END, RENEWAL_WINDOW_START } from './renewal.js';
export {
  CA_KEY_FILE,
  certFilePaths,
  CERTS_DIR,
  NODE_CERT_FILE,
  NODE_KEY_FILE,
  readNodeCertificates,
  readSigningCA,
  removeCASigningKey,
  rewrapNodeKey,
  ROOT_CA_FILE,
  writeCASigningKey,
  writeNodeCertificates,
  writeTrustedRoots,
} from './cert-files.js';
export type { CertFilePaths, NodeCertificates, NodeKeyOptions } from './cert-files.js';
export {
  channelCredentials,
  peerIdentity,
  PeerAuthError,
  ReloadableTlsIdentity,
  reloadableChannelCredentials,
  reloadableServerCredentials,
  requireRole,
  serverCredentials,
  serverIdentityCheck,
} from './tls.js';
export type {
  CallWithAuthContext,
  ChannelCredentialsOptions,
  PeerAuthErrorCode,
  TlsIdentity,
} from './tls.js';
