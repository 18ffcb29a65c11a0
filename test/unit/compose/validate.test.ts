import { describe, expect, it } from 'vitest';
import { errorLines, projectFromText } from './helpers.js';
import { ComposeError } from './imports.js';

function warnings(text: string): string[] {
  return projectFromText(text).warnings.map(
    (w) => `${w.position?.line}:${w.position?.col}: ${w.path}: ${w.message}`,
  );
}

describe('validation against the Compose specification', () => {
  it('names the file, line, column and key path of a wrong type', async () => {
    const text = 'services:\n  vote:\n    image: app\n    deploy:\n      replicas: two\n';
    expect(await errorLines(() => projectFromText(text, { file: 'voting-app-stack.yml' }))).toEqual([
      'voting-app-stack.yml:5:7: services.vote.deploy.replicas: must be an integer',
    ]);
  });

  it('reports every error of a file, not only the first', async () => {
    const text = [
      'services:',
      '  web:',
      '    image: app',
      '    restart_policy: always', // belongs under deploy
      '    deploy:',
      '      mode: everywhere',
      '      update_config:',
      '        delay: soon',
      '    healthcheck:',
      '      retries: [3]',
    ].join('\n');
    expect(await errorLines(() => projectFromText(text))).toEqual([
      'compose.yml:4:5: services.web.restart_policy: unknown key (not in the Compose specification)',
      'compose.yml:6:7: services.web.deploy.mode: must be one of replicated, global, replicated-job, global-job (got "everywhere")',
      'compose.yml:8:9: services.web.deploy.update_config.delay: must be a duration such as 10s, 1m30s or 500ms (got "soon")',
      'compose.yml:10:7: services.web.healthcheck.retries: must be an integer',
    ]);
  });

  it('refuses unknown top-level keys and accepts x- extensions anywhere', async () => {
    const ok = 'x-common: &c {image: app}\nservices:\n  web:\n    <<: *c\n    x-note: hi\n';
    expect(projectFromText(ok).model.services.web?.image).toBe('app');
    expect(await errorLines(() => projectFromText('services: {web: {image: a}}\nservice: {}\n'))).toEqual([
      'compose.yml:2:1: service: unknown key (not in the Compose specification)',
    ]);
  });

  it('warns about valid compose keys a stack cannot express, naming each', () => {
    const text =
      'services:\n  web:\n    image: app\n    container_name: web1\n    links: [db]\n    expose: [80]\n';
    expect(warnings(text)).toEqual([
      '4:5: services.web.container_name: ignored: task containers are named <stack>_<service>.<slot>.<task id>',
      '5:5: services.web.links: ignored: Flotilla does not manage container networks',
      "6:5: services.web.expose: ignored: services on the same network reach each other's ports without it",
    ]);
  });

  it("refuses docker/cli's forbidden properties with its hint", async () => {
    const text = 'services:\n  web:\n    image: app\n    mem_limit: 512m\n    volumes_from: [db]\n';
    expect(await errorLines(() => projectFromText(text))).toEqual([
      'compose.yml:4:5: services.web.mem_limit: not supported for stacks: set resource limits with deploy.resources',
      'compose.yml:5:5: services.web.volumes_from: not supported for stacks: to share a volume between services, define it in the top-level volumes section and mount it in each service',
    ]);
  });

  it('reads numbers given as strings (after interpolation) and durations, sizes and modes as numbers', () => {
    const text = [
      'services:',
      '  web:',
      '    image: app',
      '    deploy:',
      '      replicas: ${REPLICAS}',
      '      resources: {limits: {memory: 512M}}',
      '    stop_grace_period: 1m30s',
      '    secrets: [{source: s, mode: 0440}]',
      'secrets: {s: {file: ./s}}',
    ].join('\n');
    const web = projectFromText(text, { env: { REPLICAS: '3' } }).model.services.web;
    expect(web?.deploy?.replicas).toBe(3);
    expect(web?.deploy?.resources?.limits?.memory).toBe(512 * 1024 * 1024);
    expect(web?.stop_grace_period).toBe(90e9);
    expect(web?.secrets).toEqual([{ source: 's', mode: 0o440 }]);
  });

  it('names an interpolation error at its key', async () => {
    const text = 'services:\n  web:\n    image: ${IMAGE:?set IMAGE to the image to run}\n';
    expect(await errorLines(() => projectFromText(text))).toEqual([
      'compose.yml:3:5: services.web.image: required variable IMAGE is missing: set IMAGE to the image to run',
    ]);
  });

  it('warns about a variable that is not set, at its key', () => {
    expect(
      warnings('services:\n  web:\n    image: app\n    environment:\n      - URL=${SLACK_URL}\n'),
    ).toEqual([
      '5:9: services.web.environment[0]: variable SLACK_URL is not set: it becomes an empty string',
    ]);
  });

  it('reports YAML syntax errors with their position', async () => {
    const lines = await errorLines(() => projectFromText('services:\n  web:\n    image: [app\n'));
    expect(lines[0]).toMatch(/^compose\.yml:\d+:\d+: invalid YAML: /);
  });

  it('requires at least one service and a mapping at the top', async () => {
    expect(await errorLines(() => projectFromText('services: {}\n'))).toEqual([
      'compose.yml:1:1: services: a stack needs at least one service',
    ]);
    expect(await errorLines(() => projectFromText('- a\n'))).toEqual([
      'compose.yml:1:1: a compose file must be a mapping with a services key',
    ]);
  });

  it('throws a ComposeError that carries the problems as data', () => {
    try {
      projectFromText('services:\n  web:\n    image: 3\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ComposeError);
      expect((err as ComposeError).errors[0]).toMatchObject({
        severity: 'error',
        position: { file: 'compose.yml', line: 3, col: 5 },
        path: 'services.web.image',
        message: 'must be a string (got number)',
      });
    }
  });
});

describe('several files', () => {
  it('merges later files over earlier ones as docker/cli does', () => {
    const base = [
      'services:',
      '  web:',
      '    image: app:1',
      '    environment: [A=1, B=1]',
      '    ports: ["80:80"]',
      '    volumes: ["data:/data", "/etc:/host-etc:ro"]',
      '    deploy: {replicas: 2, labels: [tier=web]}',
      'volumes: {data: {}}',
    ].join('\n');
    const override = [
      'services:',
      '  web:',
      '    image: app:2',
      '    environment: {B: 2, C: 3}',
      '    ports: ["443:443"]',
      '    volumes: ["/srv/data:/data"]',
      '    deploy: {labels: {owner: me}}',
      '  extra: {image: other}',
    ].join('\n');
    const { model, positionOf } = projectFromText([base, override]);
    expect(model.services.web).toMatchObject({
      image: 'app:2',
      environment: { A: '1', B: 2, C: 3 },
      ports: ['80:80', '443:443'],
      volumes: ['/srv/data:/data', '/etc:/host-etc:ro'],
      deploy: { replicas: 2, labels: { tier: 'web', owner: 'me' } },
    });
    expect(Object.keys(model.services)).toEqual(['web', 'extra']);
    expect(positionOf('services.web.image')).toEqual({ file: 'override-1.yml', line: 3, col: 5 });
    expect(positionOf('services.web.deploy.replicas')).toEqual({ file: 'compose.yml', line: 7, col: 14 });
  });

  it('names the file of an error found in a later file', async () => {
    const base = 'services:\n  web: {image: app}\n';
    const override = 'services:\n  web:\n    deploy:\n      replicas: many\n';
    expect(await errorLines(() => projectFromText([base, override]))).toEqual([
      'override-1.yml:4:7: services.web.deploy.replicas: must be an integer',
    ]);
  });
});

describe('hostile input', () => {
  it('stops a document whose aliases expand without bound', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(', ')}]`,
      );
    lines.push('services: {web: {image: app, command: *i}}');
    const errors = await errorLines(() => projectFromText(lines.join('\n')));
    expect(errors[0]).toMatch(/the document expands to more than 1000000 values/);
  });

  it('refuses a __proto__ key', async () => {
    expect(
      await errorLines(() =>
        projectFromText('services:\n  web:\n    image: app\n    labels: {__proto__: x}\n'),
      ),
    ).toEqual(['compose.yml:4:5: services.web.labels: a mapping key may not be __proto__']);
  });
});
