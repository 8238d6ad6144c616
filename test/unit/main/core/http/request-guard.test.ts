import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  hashToken,
  hostnameOf,
  isHostAllowed,
  isOriginAllowed,
  LOOPBACK_HOSTNAMES,
  presentedToken,
  tokenMatches,
} from '../../../../../main/core/http/request-guard.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('request guard', () => {
  it('reads the hostname of a Host header, IPv6 included', () => {
    expect(hostnameOf('127.0.0.1:7420')).toBe('127.0.0.1');
    expect(hostnameOf('LOCALHOST')).toBe('localhost');
    expect(hostnameOf('[::1]:7420')).toBe('[::1]');
  });

  it('accepts loopback Host headers on any port and refuses other names (DNS rebinding)', () => {
    expect(isHostAllowed('localhost:7420', LOOPBACK_HOSTNAMES)).toBe(true);
    expect(isHostAllowed('[::1]:1', LOOPBACK_HOSTNAMES)).toBe(true);
    expect(isHostAllowed('evil.example:7420', LOOPBACK_HOSTNAMES)).toBe(false);
    expect(isHostAllowed('127.0.0.1.evil.example', LOOPBACK_HOSTNAMES)).toBe(false);
    expect(isHostAllowed(undefined, LOOPBACK_HOSTNAMES)).toBe(false);
  });

  it('lets requests without Origin through and refuses origins not on the list', () => {
    expect(isOriginAllowed(undefined, [])).toBe(true);
    expect(isOriginAllowed('https://evil.example', [])).toBe(false);
    expect(isOriginAllowed('http://localhost:5173', ['http://localhost:5173'])).toBe(true);
  });

  it('takes a token from Authorization: Bearer or X-API-Key', () => {
    expect(presentedToken(req({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedToken(req({ authorization: 'bearer  abc ' }))).toBe('abc');
    expect(presentedToken(req({ 'x-api-key': 'k' }))).toBe('k');
    expect(presentedToken(req({ authorization: 'Basic abc' }))).toBeUndefined();
  });

  it('matches tokens against stored hashes only', () => {
    const hashes = [hashToken('right')];
    expect(tokenMatches('right', hashes)).toBe(true);
    expect(tokenMatches('wrong', hashes)).toBe(false);
    expect(tokenMatches(undefined, hashes)).toBe(false);
    expect(hashToken('right').toString('hex')).not.toContain('right');
  });
});
