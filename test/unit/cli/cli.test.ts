import { describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../../support/run-cli.js';

function cli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCliCaptured(argv, { FLOTILLA_DATA_DIR: '/nonexistent-flotilla-dir', ...env });
}

describe('the flotilla command line', () => {
  it('exits 2 with one line naming the flag for a bad flag, before reaching any manager', async () => {
    for (const [argv, line] of [
      [
        ['service', 'create', '--bogus', 'img'],
        "flotilla service create: unknown flag: --bogus (see 'flotilla service create --help')",
      ],
      [
        ['service', 'create', '--replicas', 'x', 'img'],
        'flotilla service create: invalid argument "x" for "--replicas" flag: not an integer',
      ],
      [
        ['service', 'update', '--update-delay', '5', 'web'],
        'flotilla service update: invalid argument "5" for "--update-delay" flag: not a duration',
      ],
      [
        ['service', 'create', '--publish', '99999:80', 'img'],
        'flotilla service create: invalid argument "99999:80" for "--publish" flag',
      ],
      [
        ['node', 'update', '--availability', 'sleepy', 'n1'],
        'flotilla node update: invalid argument "sleepy" for "--availability" flag',
      ],
      [
        ['service', 'scale', 'web'],
        "flotilla service scale: invalid scale specifier 'web': expected SERVICE=REPLICAS",
      ],
      [['node', 'ls', 'extra'], 'flotilla node ls: "flotilla node ls" accepts no arguments'],
      [['join'], 'flotilla join: "flotilla join" requires exactly 1 argument'],
    ] as Array<[string[], string]>) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(r.err).toContain(line);
    }
  });

  it('exits 2 for an unknown command or subcommand', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("'frobnicate' is not a flotilla command");
    const sub = await cli(['service', 'frob']);
    expect(sub.code).toBe(2);
    expect(sub.err).toContain("'frob' is not a 'flotilla service' command");
  });

  it('says in one line, exit 1, that no manager runs here when the socket is missing', async () => {
    const r = await cli(['service', 'ls']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'Error: cannot reach a manager: /nonexistent-flotilla-dir/control.sock does not exist; is a manager running here? use --data-dir, or --host HOST:PORT with an admin certificate\n',
    );
    // Global options go before the command too.
    expect((await cli(['--data-dir', '/elsewhere', 'node', 'ls'])).err).toContain(
      '/elsewhere/control.sock does not exist',
    );
  });

  it('asks for the admin certificate files when --host has none', async () => {
    const r = await cli(['-H', '127.0.0.1:1', 'node', 'ls'], { FLOTILLA_CERT_PATH: '/nonexistent-certs' });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'cannot read the CA certificate for --host 127.0.0.1:1 at /nonexistent-certs/ca.pem (ENOENT)',
    );
  });

  it('prints help for the program, a group and a command', async () => {
    expect((await cli(['--help'])).out).toContain('Usage:  flotilla [OPTIONS] COMMAND');
    expect((await cli(['service'])).out).toContain('Usage:  flotilla service COMMAND');
    const help = await cli(['service', 'create', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage:  flotilla service create [OPTIONS] IMAGE [COMMAND] [ARG...]');
    expect(help.out).toContain('--restart-delay duration');
    expect(help.out).toContain('--data-dir string');
  });
});
