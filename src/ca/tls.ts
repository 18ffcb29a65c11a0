// Mutual TLS for gRPC with cluster certificates: server and channel credentials, who the peer of
// a call is (its certificate's CN/OU/O), and role checks that answer UNAUTHENTICATED or
// PERMISSION_DENIED. Plus credentials whose certificate can be replaced while they are in use.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { NodeCertificates } from './cert-files.js';
import { CertificateError } from './errors.js';
import { certificateSpki, describe, identityFromSubject, parseCertificates } from './x509.js';
import type { CertificateIdentity, CertificateRole, SubjectFields } from './x509.js';

/** A node's key, certificate chain and trusted roots, all PEM (what cert-files.ts reads). */
export type TlsIdentity = NodeCertificates;

/** Server credentials that require a client certificate chaining to `rootsPem` (mutual TLS). */
export function serverCredentials(identity: TlsIdentity): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    Buffer.from(identity.rootsPem),
    [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certChainPem) }],
    true,
  );
}

export interface ChannelCredentialsOptions {
  /** When set, the server's certificate must be this node's (its CN); otherwise any cluster node. */
  expectedNodeId?: string;
}

/**
 * Channel credentials presenting `identity`'s certificate. The server's chain is checked by TLS
 * against `rootsPem`; the host name check is replaced, since peers are dialed by IP address and
 * our certificates name node ids: see serverIdentityCheck.
 */
export function channelCredentials(
  identity: TlsIdentity,
  options: ChannelCredentialsOptions = {},
): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(identity.rootsPem),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certChainPem),
    { checkServerIdentity: serverIdentityCheck(options.expectedNodeId) },
  );
}

/**
 * Node's TLS calls this only after the chain verified against our roots. It accepts any
 * certificate with a cluster identity (CN, OU role, O), or, with `expectedNodeId`, only that node's.
 */
export function serverIdentityCheck(
  expectedNodeId?: string,
): (hostname: string, cert: PeerCertificate) => Error | undefined {
  return (hostname, cert) => {
    const identity = identityOfPeerCertificate(cert, `the certificate of the server at ${hostname}`);
    if (identity instanceof Error) return identity;
    if (expectedNodeId !== undefined && identity.nodeId !== expectedNodeId)
      return new CertificateError(
        'CA_BAD_IDENTITY',
        `the server at ${hostname} is node ${identity.nodeId}, not the expected node ${expectedNodeId}`,
      );
    return undefined;
  };
}

// ---- The peer of a call ----

/** Anything with grpc-js's server-call getAuthContext (unary, streaming, and their interceptors). */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | undefined;
}

/**
 * The identity in the caller's client certificate, or null when the call carries none (not
 * TLS, or no certificate) or its subject is not a cluster identity. grpc-js reports a
 * certificate only once TLS has verified it against the server's roots.
 */
export function peerIdentity(call: CallWithAuthContext): CertificateIdentity | null {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (cert === undefined) return null;
  const identity = identityOfPeerCertificate(cert, "the caller's certificate");
  return identity instanceof Error ? null : identity;
}

export type PeerAuthErrorCode = 'UNAUTHENTICATED' | 'PERMISSION_DENIED';

/** A call refused for who its caller is; `code` is the gRPC status name, `grpcCode` its number. */
export class PeerAuthError extends Error {
  override readonly name = 'PeerAuthError';
  readonly grpcCode: grpc.status;

  constructor(
    readonly code: PeerAuthErrorCode,
    message: string,
    /** The caller, when it had a certificate. */
    readonly peer: CertificateIdentity | null = null,
  ) {
    super(message);
    this.grpcCode = code === 'UNAUTHENTICATED' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
  }

  /** What a handler passes to its callback (or `call.emit('error', …)`). */
  toServiceError(): Partial<grpc.StatusObject> {
    return { code: this.grpcCode, details: this.message };
  }
}

/** The caller's identity if its role is one of `roles`; PeerAuthError otherwise. */
export function requireRole(
  call: CallWithAuthContext,
  roles: readonly CertificateRole[],
): CertificateIdentity {
  const identity = peerIdentity(call);
  if (identity === null)
    throw new PeerAuthError('UNAUTHENTICATED', 'this call needs a cluster client certificate (mutual TLS)');
  if (!roles.includes(identity.role))
    throw new PeerAuthError(
      'PERMISSION_DENIED',
      `node ${identity.nodeId} is a ${identity.role}; this call is for ${roles.join(' or ')} nodes only`,
      identity,
    );
  return identity;
}

function identityOfPeerCertificate(
  cert: PeerCertificate,
  what: string,
): CertificateIdentity | CertificateError {
  // Node gives each subject field as a string, or an array when it is repeated.
  const subject = (cert.subject ?? {}) as unknown as SubjectFields;
  return identityFromSubject({ CN: subject.CN, OU: subject.OU, O: subject.O }, cert.serialNumber ?? '', what);
}

// ---- Certificates replaced while in use ----

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * A node's TLS identity that can be replaced (after renewal or root rotation) while servers and
 * channels use it: grpc-js's certificate-provider credentials (reloadableServerCredentials,
 * reloadableChannelCredentials) take every update. A server swaps its secure context
 * (http2 setSecureContext) for new handshakes; a channel uses the new certificate for its next
 * connection. Established connections keep the certificates they were made with.
 */
export class ReloadableTlsIdentity implements grpc.experimental.CertificateProvider {
  private identity: TlsIdentity;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(identity: TlsIdentity) {
    checkIdentity(identity);
    this.identity = identity;
  }

  get current(): TlsIdentity {
    return this.identity;
  }

  /** Replaces the identity after checking it parses and its key is its leaf's (else it throws and keeps the old one). */
  update(identity: TlsIdentity): void {
    checkIdentity(identity);
    this.identity = identity;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // Delivered at once (a channel reads its cache as soon as it subscribes) and again on a later
    // turn: grpc-js's server credentials subscribe before they register the server's watcher, so
    // the first delivery alone would never reach the server (1.14.7). Repeats are harmless.
    listener(this.caUpdate());
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener(this.caUpdate());
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    listener(this.identityUpdate());
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener(this.identityUpdate());
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(): grpc.experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.identity.rootsPem) };
  }

  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate {
    return {
      certificate: Buffer.from(this.identity.certChainPem),
      privateKey: Buffer.from(this.identity.keyPem),
    };
  }
}

/**
 * Like serverCredentials, following `identity`'s updates. With `requireClientCertificate: false`
 * a client without a certificate may connect (a joining node asking the CA for its first one);
 * a certificate that is presented must still verify, or grpc-js reports no peer identity for the
 * call, so per-call checks (requireRole) still refuse it.
 */
export function reloadableServerCredentials(
  identity: ReloadableTlsIdentity,
  options: { requireClientCertificate?: boolean } = {},
): grpc.ServerCredentials {
  // grpc-js 1.14.7 passes this function's first two arguments to the constructor swapped; one
  // provider serving both roles makes the order irrelevant.
  return grpc.experimental.createCertificateProviderServerCredentials(
    identity,
    identity,
    options.requireClientCertificate ?? true,
  );
}

/** Like channelCredentials, following `identity`'s updates (for new connections). */
export function reloadableChannelCredentials(
  identity: ReloadableTlsIdentity,
  options: ChannelCredentialsOptions = {},
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(identity, identity, {
    checkServerIdentity: serverIdentityCheck(options.expectedNodeId),
  });
}

/** Synchronous structural checks, so that an update cannot hand grpc-js a broken context. */
function checkIdentity(identity: TlsIdentity): void {
  parseCertificates(identity.rootsPem, 'the trusted roots');
  const [leaf] = parseCertificates(identity.certChainPem, 'the node certificate');
  let spki: Buffer;
  try {
    spki = createPublicKey(createPrivateKey(identity.keyPem)).export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new CertificateError(
      'CA_MALFORMED_KEY',
      `the node key is not a PEM private key (${describe(err)})`,
      {
        cause: err,
      },
    );
  }
  if (leaf !== undefined && !certificateSpki(leaf).equals(spki))
    throw new CertificateError('CA_KEY_MISMATCH', 'the node key does not belong to the node certificate');
}
