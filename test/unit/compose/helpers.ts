// Compose projects and plans from text, with files served from memory: the unit tests of the
// compose library read nothing from disk except the corpus.

import { parseComposeText, planStack, ProblemSinkForTests, projectFromFiles } from './imports.js';
import type { ComposeProject, StackPlan } from './imports.js';

export interface FromTextOptions {
  env?: Record<string, string>;
  /** Files by absolute path (secrets, configs, env files). */
  files?: Record<string, string>;
  workingDir?: string;
  file?: string;
}

export function projectFromText(texts: string | string[], options: FromTextOptions = {}): ComposeProject {
  const env = options.env ?? {};
  const lookup = (name: string): string | undefined => env[name];
  const sink = new ProblemSinkForTests();
  const list = typeof texts === 'string' ? [texts] : texts;
  const files = list.map((text, i) =>
    parseComposeText(text, i === 0 ? (options.file ?? 'compose.yml') : `override-${i}.yml`, lookup, sink),
  );
  return projectFromFiles(files, options.workingDir ?? '/stack', lookup, sink);
}

export async function planFromText(
  text: string | string[],
  options: FromTextOptions & { stack?: string } = {},
): Promise<StackPlan> {
  const project = projectFromText(text, options);
  const files = options.files ?? {};
  return planStack(project, options.stack ?? 'st', {
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
  });
}

/** The one service of a plan by compose name. */
export function serviceOf(plan: StackPlan, name: string): StackPlan['services'][number]['spec'] {
  const found = plan.services.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no service ${name} in the plan`);
  return found.spec;
}

/** The error lines a failing load or plan reports. */
export async function errorLines(run: () => unknown): Promise<string[]> {
  try {
    await run();
  } catch (err) {
    if (err instanceof Error && 'errors' in err) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ComposeError, but nothing was thrown');
}
