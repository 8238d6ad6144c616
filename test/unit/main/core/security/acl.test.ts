import { describe, expect, it } from 'vitest';
import { canUseServer, combineToolPredicates, isToolAllowedFor, tokenToolPredicate, type TokenAcl } from '../../../../../main/core/security/acl.js';
import { compileToolFilter } from '../../../../../main/core/routing/tool-filter.js';

const token = (acl: TokenAcl): { acl: TokenAcl } => ({ acl });

describe('token ACL', () => {
  it('allows every server with "*" and only the listed ones otherwise', () => {
    expect(canUseServer(token({ servers: '*' }), 'anything')).toBe(true);
    const limited = token({ servers: ['github', 'memory'] });
    expect(canUseServer(limited, 'github')).toBe(true);
    expect(canUseServer(limited, 'filesystem')).toBe(false);
    expect(canUseServer(limited, 'GitHub')).toBe(false);
    expect(canUseServer(token({ servers: [] }), 'github')).toBe(false);
  });

  it('lets a tool through only when the server filter and the token filter both allow it', () => {
    const server = compileToolFilter({ block: ['delete_*'] });
    const own = tokenToolPredicate(token({ servers: '*', toolFilter: { allow: ['get_*', 'list_*', 'delete_*'], block: ['get_secret'] } }));
    const both = combineToolPredicates(server, own);
    expect(both('get_issue')).toBe(true);
    expect(both('list_repos')).toBe(true);
    expect(both('delete_repo')).toBe(false); // server blocks it, whatever the token says
    expect(both('get_secret')).toBe(false); // token blocks it
    expect(both('create_issue')).toBe(false); // not on the token's allow list
  });

  it('combines server membership and both filters', () => {
    const t = token({ servers: ['github'], toolFilter: { block: ['write_*'] } });
    const serverAllows = compileToolFilter(undefined);
    expect(isToolAllowedFor(t, 'github', 'read_file', serverAllows)).toBe(true);
    expect(isToolAllowedFor(t, 'github', 'write_file', serverAllows)).toBe(false);
    expect(isToolAllowedFor(t, 'filesystem', 'read_file', serverAllows)).toBe(false);
  });

  it('compiles a token filter once per ACL object', () => {
    const t = token({ servers: '*', toolFilter: { allow: ['a*'] } });
    expect(tokenToolPredicate(t)).toBe(tokenToolPredicate(t));
    expect(tokenToolPredicate(t)('abc')).toBe(true);
    expect(tokenToolPredicate(t)('xyz')).toBe(false);
  });
});
