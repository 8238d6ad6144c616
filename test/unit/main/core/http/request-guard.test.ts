import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  checkRequest,
  hashToken,
  malformedPathSegment,
  hostnameOf,
  isHostAllowed,
  isHostAllowedOnPort,
  isOriginAllowed,
  LOOPBACK_HOSTNAMES,
  normalizeOrigin,
  parseHost,
  presentedToken,
  selfOrigins,
  sendUnauthorized,
  tokenMatches,
} from '../../../../../main/core/http/request-guard.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

/** Just enough of a ServerResponse to read back what a helper wrote. */
function fakeRes(): ServerResponse & { status?: number; headers: Record<string, string>; body?: string } {
  const res = {
    headers: {} as Record<string, string>,
    status: undefined as number | undefined,
    body: undefined as string | undefined,
    setHeader(name: string, value: string) {
      res.headers[name.toLowerCase()] = value;
    },
    writeHead(status: number, headers: Record<string, string>) {
      res.status = status;
      for (const [k, v] of Object.entries(headers)) res.headers[k.toLowerCase()] = v;
    },
    end(body: string) {
      res.body = body;
    },
  };
  return res as unknown as ServerResponse & { status?: number; headers: Record<string, string>; body?: string };
}

describe('request guard', () => {
  it('reads the hostname of a Host header, IPv6 included', () => {
    expect(hostnameOf('127.0.0.1:7420')).toBe('127.0.0.1');
    expect(hostnameOf('LOCALHOST')).toBe('localhost');
    expect(hostnameOf('[::1]:7420')).toBe('[::1]');
    expect(parseHost('[::1]:7420')).toEqual({ hostname: '[::1]', port: 7420 });
    expect(parseHost('Gatehouse.LAN')).toEqual({ hostname: 'gatehouse.lan', port: undefined });
    expect(parseHost('::1:7420')).toBeUndefined();
    expect(parseHost('a b:1')).toBeUndefined();
    expect(parseHost('host:99999')).toBeUndefined();
  });

  it('keeps the port-agnostic check for existing callers', () => {
    expect(isHostAllowed('localhost:7420', LOOPBACK_HOSTNAMES)).toBe(true);
    expect(isHostAllowed('[::1]:1', LOOPBACK_HOSTNAMES)).toBe(true);
    expect(isHostAllowed('evil.example:7420', LOOPBACK_HOSTNAMES)).toBe(false);
    expect(isHostAllowed('127.0.0.1.evil.example', LOOPBACK_HOSTNAMES)).toBe(false);
    expect(isHostAllowed(undefined, LOOPBACK_HOSTNAMES)).toBe(false);
  });

  describe('Host (DNS rebinding)', () => {
    const port = 7420;
    it('accepts the three loopback spellings on the gateway port', () => {
      for (const host of ['127.0.0.1:7420', 'localhost:7420', 'LocalHost:7420', '[::1]:7420']) {
        expect(isHostAllowedOnPort(host, port), host).toBe(true);
      }
    });

    it('refuses other names, other ports and odd spellings', () => {
      for (const host of [
        'evil.com',
        'evil.com:7420',
        'attacker.example:7420', // a rebound name resolving to 127.0.0.1
        '127.0.0.1.evil.example:7420',
        'localhost.evil.example:7420',
        'localhost:8080', // right name, wrong port
        '127.0.0.1', // no port means 80
        '[::1]:80',
        '::1:7420', // unbracketed IPv6
        '[0:0:0:0:0:0:0:1]:7420', // loopback, but not a spelling any client uses
        '[::ffff:127.0.0.1]:7420',
        'localhost.:7420',
        'user@localhost:7420',
        '',
      ]) {
        expect(isHostAllowedOnPort(host, port), host).toBe(false);
      }
      expect(isHostAllowedOnPort(undefined, port)).toBe(false);
    });

    it('accepts configured names: any port without one, only that port with one', () => {
      expect(isHostAllowedOnPort('gatehouse.lan:443', port, ['gatehouse.lan'])).toBe(true);
      expect(isHostAllowedOnPort('GATEHOUSE.lan', port, ['gatehouse.lan'])).toBe(true);
      expect(isHostAllowedOnPort('gatehouse.lan:8443', port, ['gatehouse.lan:8443'])).toBe(true);
      expect(isHostAllowedOnPort('gatehouse.lan:9000', port, ['gatehouse.lan:8443'])).toBe(false);
      expect(isHostAllowedOnPort('other.lan:7420', port, ['gatehouse.lan'])).toBe(false);
      expect(isHostAllowedOnPort('[fd00::5]:7420', port, ['[fd00::5]'])).toBe(true);
    });
  });

  describe('Origin', () => {
    it('lets requests without Origin through and refuses origins not on the list', () => {
      expect(isOriginAllowed(undefined, [])).toBe(true);
      expect(isOriginAllowed('https://evil.example', [])).toBe(false);
      expect(isOriginAllowed('http://localhost:5173', ['http://localhost:5173'])).toBe(true);
      expect(isOriginAllowed('HTTP://LOCALHOST:5173', ['http://localhost:5173'])).toBe(true);
      expect(isOriginAllowed('http://localhost:5173', ['http://localhost:5174'])).toBe(false);
      expect(isOriginAllowed('null', [])).toBe(false);
      expect(isOriginAllowed('not a url', ['not a url'])).toBe(false);
    });

    it('canonicalizes origins', () => {
      expect(normalizeOrigin('https://Example.com:443')).toBe('https://example.com');
      expect(normalizeOrigin('http://[::1]:7420')).toBe('http://[::1]:7420');
      expect(normalizeOrigin('null')).toBe('null');
      expect(normalizeOrigin('file:///etc/passwd')).toBeUndefined();
    });

    it("lists the UI's own origins", () => {
      expect(selfOrigins(7420, ['gatehouse.lan'])).toEqual([
        'http://localhost:7420',
        'http://127.0.0.1:7420',
        'http://[::1]:7420',
        'http://gatehouse.lan:7420',
      ]);
    });
  });

  describe('checkRequest', () => {
    const policy = { port: 7420 };
    it('refuses a bad Host before anything else', () => {
      expect(checkRequest(req({ host: 'attacker.example:7420' }), 'mcp', policy)).toEqual({
        ok: false,
        status: 403,
        message: 'Host "attacker.example:7420" is not allowed (DNS rebinding protection)',
      });
      expect(checkRequest(req({}), 'admin', policy).ok).toBe(false);
    });

    it('allows no Origin on the MCP endpoints by default, and only listed ones when configured', () => {
      const host = '127.0.0.1:7420';
      expect(checkRequest(req({ host }), 'mcp', policy).ok).toBe(true);
      expect(checkRequest(req({ host, origin: 'https://evil.example' }), 'mcp', policy)).toMatchObject({ ok: false, status: 403 });
      // Even the gateway's own origin: a page served by the UI has no business on /mcp.
      expect(checkRequest(req({ host, origin: 'http://127.0.0.1:7420' }), 'mcp', policy).ok).toBe(false);
      expect(checkRequest(req({ host, origin: 'http://localhost:5173' }), 'mcp', { ...policy, mcpOrigins: ['http://localhost:5173'] }).ok).toBe(true);
    });

    it("allows the UI's own origin on /admin, and refuses others", () => {
      const host = 'localhost:7420';
      expect(checkRequest(req({ host, origin: 'http://localhost:7420' }), 'admin', policy).ok).toBe(true);
      expect(checkRequest(req({ host, origin: 'http://[::1]:7420' }), 'admin', policy).ok).toBe(true);
      expect(checkRequest(req({ host, origin: 'http://localhost:7421' }), 'admin', policy).ok).toBe(false);
      expect(checkRequest(req({ host, origin: 'https://evil.example' }), 'admin', policy).ok).toBe(false);
      expect(checkRequest(req({ host, origin: 'null' }), 'admin', policy).ok).toBe(false);
      expect(checkRequest(req({ host, origin: 'http://localhost:5173' }), 'admin', { ...policy, adminOrigins: ['http://localhost:5173'] }).ok).toBe(true);
    });

    it('refuses any Origin on public paths', () => {
      expect(checkRequest(req({ host: 'localhost:7420' }), 'public', policy).ok).toBe(true);
      expect(checkRequest(req({ host: 'localhost:7420', origin: 'https://evil.example' }), 'public', policy).ok).toBe(false);
    });
  });

  it('takes a token from Authorization: Bearer or X-API-Key', () => {
    expect(presentedToken(req({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedToken(req({ authorization: 'bearer  abc ' }))).toBe('abc');
    expect(presentedToken(req({ 'x-api-key': 'k' }))).toBe('k');
    expect(presentedToken(req({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(presentedToken(req({ authorization: 'Basic abc', 'x-api-key': 'k' }))).toBe('k');
    expect(presentedToken(req({ authorization: 'Bearer a', 'x-api-key': 'k' }))).toBe('a');
    expect(presentedToken(req({}))).toBeUndefined();
  });

  it('matches tokens against stored hashes only', () => {
    const hashes = [hashToken('right')];
    expect(tokenMatches('right', hashes)).toBe(true);
    expect(tokenMatches('wrong', hashes)).toBe(false);
    expect(tokenMatches(undefined, hashes)).toBe(false);
    expect(hashToken('right').toString('hex')).not.toContain('right');
  });

  it('finds the first path segment whose percent-encoding is malformed', () => {
    expect(malformedPathSegment('/servers/%E0%A4%A/mcp')).toBe('%E0%A4%A');
    expect(malformedPathSegment('/admin/servers/%ZZ')).toBe('%ZZ');
    expect(malformedPathSegment('/admin/servers/ok%20name/%C0')).toBe('%C0');
    expect(malformedPathSegment('/servers/caf%C3%A9/mcp')).toBeUndefined();
    expect(malformedPathSegment('/')).toBeUndefined();
  });

  it('answers 401 with WWW-Authenticate: Bearer and no OAuth discovery', () => {
    const res = fakeRes();
    sendUnauthorized(res);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    expect(res.headers['www-authenticate']).not.toMatch(/resource_metadata/);
    expect(JSON.parse(res.body!)).toEqual({ error: expect.stringMatching(/missing or invalid token/) });
  });
});
