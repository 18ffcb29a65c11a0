// Keeps a manager's trusted roots and certificate in line with the cluster's CA as the store
// says: during a root rotation it trusts both roots and renews at once to get a certificate of the
// new root; once the rotation finishes it drops the old root. Writes certs/root-ca.crt too, so a
// restart trusts what the running manager did.

import { silentLogger, type Logger } from '../util/logger.js';
import type { CertificateRenewer } from './cert-renewer.js';
import { verifyCertificate, writeTrustedRoots, type ReloadableTlsIdentity } from './ca/index.js';
import type { ApiStore } from './control/index.js';
import { signingRoot, trustBundle } from './root-rotation.js';

export interface TrustFollowerOptions {
  store: ApiStore;
  dataDir: string;
  tls: ReloadableTlsIdentity;
  renewer: CertificateRenewer;
  logger?: Logger;
}

export class TrustFollower {
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private work: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: TrustFollowerOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'trust' });
  }

  start(): void {
    if (this.controller) return;
    const controller = (this.controller = new AbortController());
    this.running = this.follow(controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    this.controller = null;
    await this.running;
    await this.work;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    this.reconcile();
    try {
      for await (const _ of this.options.store.watch({ kinds: ['cluster'] }, { signal })) this.reconcile();
    } catch (err) {
      if (!signal.aborted) this.log.warn('stopped following the cluster CA', { err });
    }
  }

  private reconcile(): void {
    this.work = this.work.then(async () => {
      const [cluster] = this.options.store.list('cluster');
      if (!cluster?.rootCA || !this.controller) return;
      const { tls, dataDir, renewer } = this.options;
      const roots = trustBundle(cluster.rootCA);
      try {
        if (roots !== tls.current.rootsPem) {
          await writeTrustedRoots(dataDir, roots);
          tls.update({ ...tls.current, rootsPem: roots });
          this.log.info(
            cluster.rootCA.rotation ? 'trusting the old and the new root' : 'trusting the root CA',
          );
        }
        // A certificate of another root than the one the CA signs with: renew now.
        const signing = signingRoot(cluster.rootCA).ca.certPem;
        const current = await verifyCertificate(tls.current.certChainPem, { roots: [signing] }).then(
          () => true,
          () => false,
        );
        if (!current) {
          this.log.info('renewing for a certificate of the new root');
          await renewer.renewNow();
        }
      } catch (err) {
        this.log.warn('could not follow the cluster CA', { err });
      }
    });
  }
}
