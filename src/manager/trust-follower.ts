// Keeps a manager's trusted roots and certificate in line with the cluster's CA as the store
// says: during a root rotation it trusts both roots and renews at once to get a certificate of the
// new root; once the rotation finishes it drops the old root. Writes certs/root-ca.crt too, so a
// restart trusts what the running manager did.

import { silentLogger, type Logger } from '../util/logger.js';
import type { CertificateRenewer } from '../ca/renewer.js';
import { ClusterFollower } from './cluster-follower.js';
import type { ReloadableTlsIdentity } from '../ca/index.js';
import { followTrust } from '../ca/trust.js';
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
    await followTrust(
      { trustedRoots: trustBundle(cluster.rootCA), signingRoot: signingRoot(cluster.rootCA).ca.certPem },
      { ...this.options, log: this.log },
    );
  }
}
