// Keeps a manager's trusted roots and certificate in line with the cluster's CA as the store
// says: during a root rotation it trusts both roots and renews at once to get a certificate of the
// new root; once the rotation finishes it drops the old root. Writes certs/root-ca.crt too, so a
// restart trusts what the running manager did.

import { silentLogger, type Logger } from '../util/logger.js';
import type { CertificateRenewer } from '../ca/renewer.js';
import { ClusterFollower } from './cluster-follower.js';
import { verifyCertificate, writeTrustedRoots, type ReloadableTlsIdentity } from '../ca/index.js';
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
  private readonly follower: ClusterFollower;
  private readonly log: Logger;

  constructor(private readonly options: TrustFollowerOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'trust' });
    this.follower = new ClusterFollower(options.store, this.log, () => this.follow());
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private async follow(): Promise<void> {
    const [cluster] = this.options.store.list('cluster');
    if (!cluster?.rootCA || !this.follower.active) return;
    const { tls, dataDir, renewer } = this.options;
    const roots = trustBundle(cluster.rootCA);
    if (roots !== tls.current.rootsPem) {
      await writeTrustedRoots(dataDir, roots);
      tls.update({ ...tls.current, rootsPem: roots });
      this.log.info(cluster.rootCA.rotation ? 'trusting the old and the new root' : 'trusting the root CA');
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
  }
}
