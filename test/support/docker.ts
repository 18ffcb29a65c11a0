// What tests against the real Docker Engine share: the test image (built by
// scripts/docker-engine.sh), whether an engine answers, and cleanup of the containers a test run
// created, found by the label every such container carries.

import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';

/** Built by scripts/docker-engine.sh: static busybox, every applet, root and nobody users. */
export const TEST_IMAGE = 'flotilla-test/busybox:2';

/** The label that marks a container as created by a test run: `com.flotilla.test=<run id>`. */
export const TEST_RUN_LABEL = 'com.flotilla.test';

export function testDocker(): Dockerode {
  const host = process.env.DOCKER_HOST;
  const socketPath =
    host?.startsWith('unix://') === true ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return new Dockerode({ socketPath });
}

/** A fresh id for this run's label, so parallel runs never clean up each other's containers. */
export function newTestRunId(prefix = 'run'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Whether an engine answers on the socket (tests skip with a message when none does). */
export async function dockerAvailable(docker: Dockerode = testDocker()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Containers (running or not) carrying `key=value`. */
export async function listContainersByLabel(
  docker: Dockerode,
  key: string,
  value: string,
): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
}

/** Force-removes every container carrying `key=value`; returns how many it removed. */
export async function removeContainersByLabel(
  docker: Dockerode,
  key: string,
  value: string,
): Promise<number> {
  const containers = await listContainersByLabel(docker, key, value);
  await Promise.all(
    containers.map(async (container) => {
      try {
        await docker.getContainer(container.Id).remove({ force: true, v: true });
      } catch (error) {
        // Already gone, or being removed by the code under test meanwhile: that is the goal.
        const code = (error as { statusCode?: unknown }).statusCode;
        if (code !== 404 && code !== 409) throw error;
      }
    }),
  );
  return containers.length;
}
