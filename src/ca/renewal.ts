// When a node renews its certificate: at a random point late in its validity, so that the nodes
// of a cluster (often issued together) do not all ask the CA at once.

/**
 * SwarmKit's window (ca/certificates.go, CertLowerRotationRange / CertUpperRotationRange): from
 * half of the validity to 80% of it. The last fifth is left for retries while the CA or the
 * network is down; renewing near the very end would leave none.
 */
export const RENEWAL_WINDOW_START = 0.5;
export const RENEWAL_WINDOW_END = 0.8;

/**
 * Milliseconds from `now` until the node should renew a certificate valid from `notBefore` to
 * `notAfter`: a uniform point of the renewal window drawn with `random` (in [0, 1)), or 0 when
 * that point has already passed.
 */
export function renewalDelayMs(notBefore: Date, notAfter: Date, now: Date, random: () => number): number {
  const start = notBefore.getTime();
  const lifetime = notAfter.getTime() - start;
  if (!(lifetime > 0)) return 0;
  const fraction = RENEWAL_WINDOW_START + (RENEWAL_WINDOW_END - RENEWAL_WINDOW_START) * clampUnit(random());
  const renewAt = start + Math.floor(lifetime * fraction);
  return Math.max(0, renewAt - now.getTime());
}

/** A broken random source (NaN, out of range) still yields a point of the window. */
function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(value, 1);
}
