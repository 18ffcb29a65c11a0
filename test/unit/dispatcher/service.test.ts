// The dispatcher service's reading of what a node sends besides its description: the host it
// advertises (what the routing mesh's tunnels dial).

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/api/index.js';
import { advertisedHost, peerHost } from '../../../src/dispatcher/service.js';

describe('advertisedHost', () => {
  it('takes an IPv4 or IPv6 address or a DNS name, and nothing for an empty field', () => {
    expect(advertisedHost('10.0.0.7')).toBe('10.0.0.7');
    expect(advertisedHost('fd00::7')).toBe('fd00::7');
    expect(advertisedHost('worker-7.example.internal')).toBe('worker-7.example.internal');
    expect(advertisedHost('')).toBeUndefined();
  });

  it('refuses a port, a URL or junk, naming the field', () => {
    for (const bad of ['10.0.0.7:2377', 'http://10.0.0.7', 'a b', '-x.example', 'x'.repeat(254), '[::1]'])
      expect(() => advertisedHost(bad), bad).toThrow(
        new ValidationError('addr', 'must be an IP address or a host name, without a port'),
      );
  });
});

describe('peerHost', () => {
  it('drops the scheme and the port of a gRPC peer', () => {
    expect(peerHost('ipv4:127.0.0.3:50512')).toBe('127.0.0.3');
    expect(peerHost('ipv6:[::1]:50512')).toBe('::1');
  });
});
