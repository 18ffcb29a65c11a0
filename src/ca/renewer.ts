// Keeps a node's certificate fresh: at a random point late in its life (renewalDelayMs) the node
// makes a new key, asks a manager to sign it with the certificate it still holds, writes the
// files atomically and hands the new identity to its servers and channels (new connections use
// it; established ones keep theirs). A failed attempt is retried with backoff while the old
// certificate lasts. renewNow() serves role changes, which need a certificate with the new role.

import { X509Certificate } from 'node:crypto';
import { silentLogger, type Logger } from '../util/logger.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { renewNodeCertificate } from './client.js';
import {
  CERT_BACKDATE_MS,
  createCsr,
  generateNodeKey,
  renewalDelayMs,
  writeNodeCertificates,
  type NodeCertificates,
  type ReloadableTlsIdentity,
} from './index.js';

export interface CertificateRenewerOptions {
  dataDir: string;
  tls: ReloadableTlsIdentity;
  /**
   * Stores the new certificate and key. Default: writeNodeCertificates into dataDir, node.key
   * plain; an autolocked manager's wraps node.key as its key files are (AutolockKeeper).
   */
  write?: (certs: NodeCertificates) => Promise<void>;
  /** Managers to ask, in order of preference (a manager lists itself first). */
  managers: () => string[];
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Backoff between failed attempts: from `initial`, doubling, up to `max`. */
  retryMs?: { initial: number; max: number };
}

export class CertificateRenewer {
  private timer: ClockTimer | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private failures = 0;
  /** Certificates obtained so far (for status and tests). */
  renewals = 0;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: CertificateRenewerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'cert-renewer' });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  /** Renews at once (after a role change); resolves when done or failed (then retried later). */
  async renewNow(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.attempt();
  }

  /**
   * The current leaf's lifetime as issued: the CA backdates notBefore (clock skew between
   * nodes), which must not count, or a short-lived certificate would look due at once.
   */
  validity(): { notBefore: Date; notAfter: Date } {
    const leaf = new X509Certificate(this.options.tls.current.certChainPem);
    const notAfter = new Date(leaf.validTo).getTime();
    const issued = Math.min(new Date(leaf.validFrom).getTime() + CERT_BACKDATE_MS, notAfter);
    return { notBefore: new Date(issued), notAfter: new Date(notAfter) };
  }

  private schedule(delayMs?: number): void {
    if (this.stopped) return;
    const { notBefore, notAfter } = this.validity();
    const due =
      delayMs ??
      renewalDelayMs(notBefore, notAfter, new Date(this.clock.now()), this.options.random ?? Math.random);
    this.timer = this.clock.setTimer(due, () => {
      this.timer = null;
      void this.attempt();
    });
  }

  private attempt(): Promise<void> {
    this.running ??= this.renew()
      .catch((err: unknown) => {
        // renew() handles the failures of an attempt; this is the node going away under it.
        if (!this.stopped) this.log.error('certificate renewal failed unexpectedly', { err });
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const { dataDir, tls } = this.options;
    let lastError: unknown = null;
    const keyPem = await generateNodeKey();
    const csr = await createCsr(keyPem);
    for (const address of this.options.managers()) {
      try {
        const response = await renewNodeCertificate(address, tls.current, csr);
        const next = { rootsPem: response.rootCa, keyPem, certChainPem: response.certificateChain };
        await (this.options.write ?? ((certs) => writeNodeCertificates(dataDir, certs)))(next);
        tls.update(next);
        this.failures = 0;
        this.renewals++;
        this.log.info('renewed the node certificate', { from: address, role: response.role });
        this.schedule();
        return;
      } catch (err) {
        lastError = err;
      }
    }
    this.failures++;
    const { initial, max } = this.options.retryMs ?? { initial: 2_000, max: 60_000 };
    const retry = Math.min(max, initial * 2 ** Math.min(this.failures - 1, 20));
    this.log.warn('could not renew the node certificate; retrying', { err: lastError, retryMs: retry });
    this.schedule(retry);
  }
}
