// Getting a task's image onto the node per its pullPolicy, with a per-executor cache of the images
// known present, so preparing the 50th replica of a service costs no image call at all.

import type Dockerode from 'dockerode';
import type { PullPolicy } from '../../api/index.js';
import type { Logger } from '../../util/logger.js';
import { TaskFailure } from '../executor.js';
import { engineMessage, isEngineAnswer, isNotFound } from './engine-errors.js';

/** What the executor needs to know of a present image. */
export interface ImageFacts {
  id: string;
  /** The image's HEALTHCHECK test, when it has one. */
  healthTest?: string[];
}

export interface ImageStoreOptions {
  docker: Dockerode;
  logger: Logger;
}

export class ImageStore {
  /** Images known present, by reference as the spec names it; in-flight lookups are shared. */
  private readonly present = new Map<string, Promise<ImageFacts>>();
  /** `always` pulls under way: replicas prepared together share one pull. */
  private readonly pulling = new Map<string, Promise<ImageFacts>>();

  constructor(private readonly options: ImageStoreOptions) {}

  /** The image, pulled if the policy says so; TaskFailure (rejected) when it cannot be had. */
  async ensure(image: string, policy: PullPolicy): Promise<ImageFacts> {
    if (policy === 'always') {
      let pull = this.pulling.get(image);
      if (pull === undefined) {
        pull = this.pullThenInspect(image).finally(() => this.pulling.delete(image));
        this.pulling.set(image, pull);
      }
      return pull;
    }
    let known = this.present.get(image);
    if (known === undefined) {
      known = this.inspectOrPull(image, policy);
      this.present.set(image, known);
      // A failure is not remembered: the image may be loaded or become pullable later.
      known.catch(() => this.present.delete(image));
    }
    return known;
  }

  /** Forgets an image the engine no longer has (removed behind the executor's back). */
  forget(image: string): void {
    this.present.delete(image);
  }

  private async inspectOrPull(image: string, policy: 'missing' | 'never'): Promise<ImageFacts> {
    const local = await this.inspect(image);
    if (local !== null) return local;
    if (policy === 'never') throw new TaskFailure(`No such image: ${image} (pullPolicy never)`, true);
    await this.pull(image);
    const pulled = await this.inspect(image);
    if (pulled === null) throw new TaskFailure(`No such image: ${image} (absent after pull)`, true);
    return pulled;
  }

  private async pullThenInspect(image: string): Promise<ImageFacts> {
    let pullError: unknown;
    try {
      await this.pull(image);
    } catch (error) {
      // Docker's `always`: a failed pull falls back to the local copy when there is one.
      pullError = error;
    }
    const local = await this.inspect(image);
    if (local !== null) {
      if (pullError !== undefined) {
        this.options.logger.warn('pull failed; running the local copy', { image, error: pullError });
      }
      this.present.set(image, Promise.resolve(local));
      return local;
    }
    if (pullError instanceof Error) throw pullError;
    if (pullError !== undefined) throw new TaskFailure(`pull ${image}: ${engineMessage(pullError)}`, true);
    throw new TaskFailure(`No such image: ${image} (absent after pull)`, true);
  }

  private async inspect(image: string): Promise<ImageFacts | null> {
    try {
      const info = await this.options.docker.getImage(image).inspect();
      const test = info.Config?.Healthcheck?.Test;
      return test === undefined || test === null ? { id: info.Id } : { id: info.Id, healthTest: test };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Pulls one reference; the engine reports pull errors inside the progress stream. */
  private async pull(image: string): Promise<void> {
    const { docker } = this.options;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(withDefaultTag(image));
    } catch (error) {
      if (isEngineAnswer(error)) throw new TaskFailure(`pull ${image}: ${engineMessage(error)}`, true);
      throw error;
    }
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
        if (error !== null) {
          reject(error);
          return;
        }
        const failed = output.find(
          (event): event is { error: string } =>
            typeof event === 'object' &&
            event !== null &&
            typeof (event as { error?: unknown }).error === 'string',
        );
        if (failed !== undefined) reject(new TaskFailure(`pull ${image}: ${failed.error}`, true));
        else resolve();
      });
    });
  }
}

/**
 * `busybox` alone would make the engine pull every tag of the repository (the API's fromImage
 * without a tag means all tags), so a reference without tag or digest gets `:latest`, as the CLI.
 */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? image : `${image}:latest`;
}
