// Port syntaxes of a compose file to Swarm port configs, as docker/cli does it: the short syntax
// goes through go-connections' nat.ParsePortSpec (`[ip:][published:]target[/protocol]`, ranges
// on either side) and always publishes in ingress mode; the long syntax is taken field by field.

import type { PortConfig, PortProtocol } from '../api/index.js';
import type { Parsed } from './units.js';

export interface ShortPortResult {
  ports: PortConfig[];
  /** A host IP docker ignores (Swarm listens on every address): say so. */
  ignoredIp?: string;
}

function parseRange(text: string): [number, number] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start < 1 || end > 65535 || end < start) return undefined;
  return [start, end];
}

/** One short-syntax entry (`"8080:80/udp"`, `"9090-9091:8080-8081"`, `6379`) to port configs. */
export function parseShortPort(spec: string): Parsed<ShortPortResult> {
  let text = spec;
  let protocol: PortProtocol = 'tcp';
  const slash = text.lastIndexOf('/');
  if (slash !== -1) {
    const proto = text.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
      return { ok: false, reason: `invalid protocol ${JSON.stringify(proto)} (tcp, udp or sctp)` };
    }
    protocol = proto;
    text = text.slice(0, slash);
  }
  let ip = '';
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracket !== null) {
    ip = bracket[1] ?? '';
    text = bracket[2] ?? '';
  }
  const parts = text.split(':');
  const target = parts[parts.length - 1] ?? '';
  let published = '';
  if (parts.length === 2) published = parts[0] ?? '';
  else if (parts.length === 3) {
    ip = parts[0] ?? '';
    published = parts[1] ?? '';
  } else if (parts.length > 3) {
    ip = parts.slice(0, -2).join(':');
    published = parts[parts.length - 2] ?? '';
  }
  const targets = parseRange(target);
  if (targets === undefined)
    return {
      ok: false,
      reason: `invalid port ${JSON.stringify(spec)}: target ${JSON.stringify(target)} must be a port or a range of ports`,
    };
  const publishedRange = published === '' ? undefined : parseRange(published);
  if (published !== '' && publishedRange === undefined) {
    return {
      ok: false,
      reason: `invalid port ${JSON.stringify(spec)}: published ${JSON.stringify(published)} must be a port or a range of ports`,
    };
  }
  const ports: PortConfig[] = [];
  const [start, end] = targets;
  if (publishedRange !== undefined && end - start !== publishedRange[1] - publishedRange[0]) {
    if (end !== start) {
      return {
        ok: false,
        reason: `invalid port ${JSON.stringify(spec)}: the published and target ranges differ in size`,
      };
    }
    // One target and a range of published ports: one config per published port (as docker/cli).
    for (let p = publishedRange[0]; p <= publishedRange[1]; p++) {
      ports.push({ protocol, targetPort: start, publishedPort: p, publishMode: 'ingress' });
    }
  } else {
    for (let t = start; t <= end; t++) {
      const port: PortConfig = { protocol, targetPort: t, publishMode: 'ingress' };
      if (publishedRange !== undefined) port.publishedPort = publishedRange[0] + (t - start);
      ports.push(port);
    }
  }
  const unspecified = ip === '' || ip === '0.0.0.0' || ip === '::';
  return { ok: true, value: unspecified ? { ports } : { ports, ignoredIp: ip } };
}

/** docker/cli's order: by published port, then target port (then protocol, for a stable spec). */
export function comparePorts(a: PortConfig, b: PortConfig): number {
  return (
    (a.publishedPort ?? 0) - (b.publishedPort ?? 0) ||
    a.targetPort - b.targetPort ||
    (a.protocol ?? 'tcp').localeCompare(b.protocol ?? 'tcp')
  );
}
