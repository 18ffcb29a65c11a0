// The typed error of the cluster certificate authority: one class, a stable `code` per failure,
// and a message an operator can act on (which certificate, file or token part was wrong, and why).

export type CertificateErrorCode =
  /** Not a PEM certificate request, or not one that parses. */
  | 'CA_MALFORMED_CSR'
  /** The request's self-signature does not verify: it was altered or built wrongly. */
  | 'CA_BAD_CSR_SIGNATURE'
  /** A key that is not ECDSA P-256 (the only kind the cluster issues for or signs with). */
  | 'CA_UNSUPPORTED_KEY'
  | 'CA_MALFORMED_CERTIFICATE'
  | 'CA_MALFORMED_KEY'
  /** node.key is wrapped by a key-encryption key (an autolocked manager's) and none was given. */
  | 'CA_KEY_WRAPPED'
  /** No wrapping in node.key opens with the key-encryption key given (another key, or altered bytes). */
  | 'CA_KEY_UNWRAP_FAILED'
  | 'CA_EXPIRED'
  | 'CA_NOT_YET_VALID'
  /** No chain from the certificate to a trusted root verifies. */
  | 'CA_UNKNOWN_AUTHORITY'
  /** A certificate in the chain may not sign others (not a CA, or its path length is exceeded). */
  | 'CA_NOT_A_CA'
  /** The subject's OU is missing or is not a role the cluster knows. */
  | 'CA_UNKNOWN_ROLE'
  /** The subject's node id (CN) or cluster id (O) is missing or malformed, or an issuing request named bad ones. */
  | 'CA_BAD_IDENTITY'
  /** A private key that does not belong to the certificate it was paired with. */
  | 'CA_KEY_MISMATCH'
  | 'CA_BAD_TOKEN'
  /** The CA certificate a manager presented is not the one the join token names. */
  | 'CA_DIGEST_MISMATCH'
  | 'CA_FILE_MISSING'
  | 'CA_FILE_UNREADABLE';

export class CertificateError extends Error {
  override readonly name = 'CertificateError';
  /** The file the problem was found in, for errors from the certificate files on disk. */
  readonly file: string | undefined;

  constructor(
    readonly code: CertificateErrorCode,
    message: string,
    options: { file?: string; cause?: unknown } = {},
  ) {
    super(options.file === undefined ? message : `${options.file}: ${message}`, { cause: options.cause });
    this.file = options.file;
  }
}

/** Whether `err` is a CertificateError (with `code`, when given). */
export function isCertificateError(err: unknown, code?: CertificateErrorCode): err is CertificateError {
  return err instanceof CertificateError && (code === undefined || err.code === code);
}
