import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimValues, personOf, roleOf } from './client.js';
import { openLogin, sealLogin, type PendingLogin } from './cookie.js';

const mapping = { roleClaim: 'groups', adminValues: ['hub-admins'], operatorValues: ['hub-operators', 'duty'], defaultRole: 'viewer' as const };

describe('OpenID Connect claims to a person', () => {
  it('maps groups to the highest role they name, else the default, or none', () => {
    expect(roleOf({ sub: 'a', groups: ['staff', 'duty', 'hub-admins'] }, mapping)).toBe('admin');
    expect(roleOf({ sub: 'a', groups: ['duty'] }, mapping)).toBe('operator');
    expect(roleOf({ sub: 'a', groups: 'hub-operators' }, mapping)).toBe('operator');
    expect(roleOf({ sub: 'a', groups: ['staff'] }, mapping)).toBe('viewer');
    expect(roleOf({ sub: 'a' }, mapping)).toBe('viewer');
    expect(roleOf({ sub: 'a', groups: ['staff'] }, { ...mapping, defaultRole: 'none' })).toBeNull();
  });
  it('reaches into an object with a dotted claim path (Keycloak realm roles), and takes a claim whose name has a dot as it is', () => {
    const claims = { sub: 'a', realm_access: { roles: ['offline_access', 'hub-admins'] }, 'https://x.org/roles': ['duty'] };
    expect(claimValues(claims, 'realm_access.roles')).toEqual(['offline_access', 'hub-admins']);
    expect(roleOf(claims, { ...mapping, roleClaim: 'realm_access.roles' })).toBe('admin');
    expect(claimValues(claims, 'https://x.org/roles')).toEqual(['duty']);
    expect(claimValues({ sub: 'a', groups: [1, 'x', null] }, 'groups')).toEqual(['x']);
  });
  it('names a person by the issuer host and subject, shown by name, user name or e-mail', () => {
    expect(personOf({ sub: 's1', name: ' Ana ', email: 'a@x.org' }, 'id.example.org')).toEqual({ user: 'oidc:id.example.org:s1', name: 'Ana' });
    expect(personOf({ sub: 's2', preferred_username: 'bo' }, 'id.example.org:8443')).toEqual({ user: 'oidc:id.example.org:8443:s2', name: 'bo' });
    expect(personOf({ sub: 's3', email: 'c@x.org' }, 'h')).toEqual({ user: 'oidc:h:s3', name: 'c@x.org' });
    expect(personOf({ sub: 's4' }, 'h')).toEqual({ user: 'oidc:h:s4' });
  });
});

describe('the sign-in cookie', () => {
  const key = randomBytes(32);
  const pending: PendingLogin = { state: 's', nonce: 'n', verifier: 'v', redirectUri: 'https://hub/cb', returnTo: '/', exp: Date.now() + 60_000 };
  it('opens what it sealed, and nothing tampered with, signed with another key or expired', () => {
    const sealed = sealLogin(key, pending);
    expect(openLogin(key, sealed)).toEqual(pending);
    expect(openLogin(randomBytes(32), sealed)).toBeNull();
    const [body, sig] = sealed.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ ...pending, returnTo: '/elsewhere' })).toString('base64url');
    expect(openLogin(key, `${other}.${sig}`)).toBeNull();
    expect(openLogin(key, `${body}.`)).toBeNull();
    expect(openLogin(key, 'garbage')).toBeNull();
    expect(openLogin(key, sealLogin(key, { ...pending, exp: Date.now() - 1 }))).toBeNull();
  });
});
