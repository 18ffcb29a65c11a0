// Swarm's service templates: expansion matches what Docker prints for each placeholder, and
// service validation refuses templates that cannot parse, naming the field.

import { describe, expect, it } from 'vitest';
import {
  expandEnvEntry,
  expandTemplate,
  fullTaskName,
  parseTemplate,
  templateContext,
  TemplateError,
  validateServiceSpec,
  type TemplateContext,
} from '../../../src/api/index.js';
import { expectRejected, minimalService, withField } from './helpers.js';

const ctx: TemplateContext = templateContext({
  task: { id: 'tk1', name: 'web.3', slot: 3, nodeId: 'nd1', serviceId: 'sv1' },
  service: { id: 'sv1', name: 'web', labels: { tier: 'front', 'com.example.team': 'a b', app: 'shop' } },
  node: { id: 'nd1', hostname: 'host-a', platform: { os: 'linux', architecture: 'amd64' } },
});

function reasonOf(source: string): string {
  try {
    parseTemplate(source);
  } catch (error) {
    if (error instanceof TemplateError) return error.reason;
    throw error;
  }
  throw new Error(`${source} parsed`);
}

describe('service templates', () => {
  it('expands every field of the context as Docker does', () => {
    const expand = (source: string): string => expandTemplate(source, ctx);
    expect(expand('{{.Service.ID}}/{{.Service.Name}}')).toBe('sv1/web');
    expect(expand('{{.Task.ID}} {{.Task.Name}} {{.Task.Slot}}')).toBe('tk1 web.3.tk1 3');
    expect(expand('{{.Node.ID}}@{{.Node.Hostname}}')).toBe('nd1@host-a');
    expect(expand('{{.Node.Platform.OS}}-{{.Node.Platform.Architecture}}')).toBe('linux-amd64');
  });

  it('prints the labels map as Go does, keys sorted', () => {
    expect(expandTemplate('{{.Service.Labels}}', ctx)).toBe('map[app:shop com.example.team:a b tier:front]');
    const bare = { ...ctx, service: { ...ctx.service, labels: {} } };
    expect(expandTemplate('{{.Service.Labels}}', bare)).toBe('map[]');
  });

  it('looks up one label with index, and a missing one yields the empty string', () => {
    expect(expandTemplate('{{index .Service.Labels "com.example.team"}}', ctx)).toBe('a b');
    expect(expandTemplate('{{ index .Service.Labels `tier` }}', ctx)).toBe('front');
    expect(expandTemplate('[{{index .Service.Labels "absent"}}]', ctx)).toBe('[]');
  });

  it('allows whitespace and trim markers inside the braces', () => {
    expect(expandTemplate('web-{{ .Task.Slot }}', ctx)).toBe('web-3');
    expect(expandTemplate('a  {{- .Task.Slot -}}  b', ctx)).toBe('a3b');
  });

  it('leaves text without placeholders untouched', () => {
    expect(expandTemplate('plain } { text', ctx)).toBe('plain } { text');
  });

  it('expands only the value of an env entry', () => {
    expect(expandEnvEntry('SLOT_{{.Task.Slot}}={{.Task.Slot}}', ctx)).toBe('SLOT_{{.Task.Slot}}=3');
    expect(expandEnvEntry('NAME', ctx)).toBe('NAME');
  });

  it('refuses unknown fields, non-values, unknown functions and unclosed actions', () => {
    expect(reasonOf('{{.Service.Foo}}')).toBe('unknown field .Service.Foo');
    expect(reasonOf('{{.Task}}')).toBe('.Task is not a value; name one of its fields');
    expect(reasonOf('{{upper .Task.Name}}')).toBe('function "upper" not defined');
    expect(reasonOf('web-{{.Task.Slot')).toBe('unclosed action at offset 4');
    expect(reasonOf('{{}}')).toBe('missing value for command');
    expect(reasonOf('{{index .Task.Name "a"}}')).toBe(
      'cannot index .Task.Name: only .Service.Labels is a map',
    );
    expect(reasonOf('{{index .Service.Labels}}')).toMatch(/^index takes a map and one quoted key/);
    expect(reasonOf('{{.Task.Slot .Task.ID}}')).toBe('unexpected .Task.ID after .Task.Slot');
    expect(reasonOf('{{index .Service.Labels "a}}')).toBe('unterminated quoted string');
  });

  it('names global tasks by node and falls back to the node id for the slot', () => {
    const global = templateContext({
      task: { id: 'tk2', serviceId: 'sv1', nodeId: 'nd9' },
      service: { id: 'sv1', name: 'agent', labels: {} },
      node: { id: 'nd9', hostname: 'h', platform: { os: 'linux', architecture: 'arm64' } },
    });
    expect(global.task).toEqual({ id: 'tk2', name: 'agent.nd9.tk2', slot: 'nd9' });
  });

  it('builds the full task name from the stored stable name or from the slot', () => {
    expect(fullTaskName({ id: 'x', name: 'web.2' }, 'web')).toBe('web.2.x');
    expect(fullTaskName({ id: 'x', slot: 5 }, 'web')).toBe('web.5.x');
  });
});

describe('service validation of templates', () => {
  const C = 'taskTemplate.containerSpec';
  const P = `spec.${C}`;
  const withContainer = (fields: Record<string, unknown>): Record<string, unknown> =>
    withField(minimalService(), C, { image: 'nginx', ...fields });

  it('accepts templates in env values, the hostname and mount sources', () => {
    const spec = withContainer({
      hostname: '{{.Service.Name}}-{{.Task.Slot}}',
      env: ['A=1', 'NODE={{.Node.Hostname}}'],
      mounts: [{ type: 'volume', source: 'data-{{.Task.Slot}}', target: '/data' }],
    });
    expect(() => validateServiceSpec(spec)).not.toThrow();
  });

  it('refuses an env entry whose template does not parse, naming the entry', () => {
    const spec = withContainer({ env: ['A=1', 'B=2', 'C={{.Task.Nope}}'] });
    expectRejected(
      () => validateServiceSpec(spec),
      `${P}.env[2]`,
      'invalid template: unknown field .Task.Nope',
    );
  });

  it('refuses a hostname whose template does not parse', () => {
    const spec = withContainer({ hostname: 'web-{{.Task.Slot' });
    expectRejected(
      () => validateServiceSpec(spec),
      `${P}.hostname`,
      'invalid template: unclosed action at offset 4',
    );
  });

  it('refuses a mount source whose template does not parse', () => {
    const spec = withContainer({
      mounts: [{ type: 'bind', source: '/srv/{{lower .Task.Slot}}', target: '/x' }],
    });
    expectRejected(
      () => validateServiceSpec(spec),
      `${P}.mounts[0].source`,
      'invalid template: function "lower" not defined',
    );
  });

  it('accepts the three pull policies and refuses others, naming the field', () => {
    for (const pullPolicy of ['always', 'missing', 'never']) {
      expect(() => validateServiceSpec(withContainer({ pullPolicy }))).not.toThrow();
    }
    expectRejected(
      () => validateServiceSpec(withContainer({ pullPolicy: 'sometimes' })),
      `${P}.pullPolicy`,
      'must be one of always, missing, never',
    );
  });
});
