import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Principal } from '../auth/types.ts';
import { SqliteIamStore } from '../storage/sqlite-iam-store.ts';
import { AccessDeniedError } from '../auth/access.ts';
import { IamAuthorizer } from './authorizer.ts';

const ACCT = '123456789012';
const user = (name: string): Principal => ({ type: 'User', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:user/${name}`, userId: `AIDA${name.toUpperCase()}`, name });
const session = (role: string): Principal => ({
  type: 'AssumedRole',
  accountId: ACCT,
  arn: `arn:aws:sts::${ACCT}:assumed-role/${role}/s`,
  userId: 'AROAFN:s',
  name: role,
  roleArn: `arn:aws:iam::${ACCT}:role/${role}`,
});
const doc = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

/** The execution role fn-role (trusting Lambda), with the unique id given. */
const fnRole = (id: string) => ({
  name: 'fn-role',
  path: '/',
  id,
  arn: `arn:aws:iam::${ACCT}:role/fn-role`,
  created: 0,
  trustPolicy: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
  description: undefined,
  maxSessionDuration: 3600,
  tags: [],
});

function setup() {
  const store = new SqliteIamStore(new Database(':memory:'));
  store.createUser({ name: 'alice', path: '/', id: 'AIDAALICE', arn: user('alice').arn, created: 0, tags: [] });
  store.putInlinePolicy({ kind: 'user', name: 'alice' }, { name: 'read-a', document: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a/*' }) });
  store.createRole(fnRole('AROAFN'));
  store.attach({ kind: 'role', name: 'fn-role' }, 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
  return { store, authz: new IamAuthorizer(store) };
}

describe('IamAuthorizer', () => {
  it("evaluates a user's inline policies: allowed where they allow, implicitly denied elsewhere", () => {
    const { authz } = setup();
    assert.equal(authz.authorize({ principal: user('alice'), action: 's3:GetObject', resource: 'arn:aws:s3:::a/k' }).decision, 'Allow');
    assert.equal(authz.authorize({ principal: user('alice'), action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }).decision, 'ImplicitDeny');
    assert.equal(authz.authorize({ principal: user('alice'), action: 's3:PutObject', resource: 'arn:aws:s3:::a/k' }).decision, 'ImplicitDeny');
  });

  it("gives a role session its role's attached AWS managed policies", () => {
    const { authz } = setup();
    assert.equal(authz.authorize({ principal: session('fn-role'), action: 's3:GetObject', resource: 'arn:aws:s3:::any/k' }).decision, 'Allow');
    assert.equal(authz.authorize({ principal: session('fn-role'), action: 's3:PutObject', resource: 'arn:aws:s3:::any/k' }).decision, 'ImplicitDeny');
  });

  it('lets a resource policy allow a service principal, and an explicit deny in it win over identity allows', () => {
    const { authz } = setup();
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:f';
    const policy = doc({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: fn });
    assert.equal(authz.authorize({ principal: { service: 's3.amazonaws.com' }, action: 'lambda:InvokeFunction', resource: fn, resourcePolicy: policy }).decision, 'Allow');
    assert.equal(authz.authorize({ principal: { service: 's3.amazonaws.com' }, action: 'lambda:InvokeFunction', resource: fn }).decision, 'ImplicitDeny');
    const deny = doc({ Effect: 'Deny', Principal: { AWS: user('alice').arn }, Action: 's3:*', Resource: 'arn:aws:s3:::a/*' });
    assert.equal(authz.authorize({ principal: user('alice'), action: 's3:GetObject', resource: 'arn:aws:s3:::a/k', resourcePolicy: deny }).decision, 'ExplicitDeny');
  });

  it('decides role assumption by the trust policy: lambda.amazonaws.com yes, a user only when named or allowed', () => {
    const { authz, store } = setup();
    const role = store.role('fn-role')!;
    assert.equal(authz.serviceCanAssume(role.trustPolicy, 'lambda.amazonaws.com', role.arn), true);
    assert.equal(authz.serviceCanAssume(role.trustPolicy, 'ec2.amazonaws.com', role.arn), false);
    assert.equal(authz.canAssume(role.trustPolicy, user('alice'), role.arn), false);
    const namesAlice = doc({ Effect: 'Allow', Principal: { AWS: user('alice').arn }, Action: 'sts:AssumeRole' });
    assert.equal(authz.canAssume(namesAlice, user('alice'), role.arn), true);
    // Naming the account hands the decision to the caller's own policies.
    const namesAccount = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' });
    assert.equal(authz.canAssume(namesAccount, user('alice'), role.arn), false);
    store.putInlinePolicy({ kind: 'user', name: 'alice' }, { name: 'assume', document: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.arn }) });
    assert.equal(authz.canAssume(namesAccount, user('alice'), role.arn), true);
  });

  it('treats a stored document that no longer parses as granting nothing', () => {
    const { authz, store } = setup();
    store.putInlinePolicy({ kind: 'user', name: 'alice' }, { name: 'read-a', document: '{"Statement": "garbage"}' });
    assert.equal(authz.authorize({ principal: user('alice'), action: 's3:GetObject', resource: 'arn:aws:s3:::a/k' }).decision, 'ImplicitDeny');
  });

  it('check() throws AccessDeniedError with AWS\'s message, and allows root everything', () => {
    const { authz } = setup();
    authz.check(user('alice'), { action: 's3:GetObject', resource: 'arn:aws:s3:::a/k' });
    assert.throws(
      () => authz.check(user('alice'), { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:us-east-1:123456789012:function:f' }),
      (err: unknown) =>
        err instanceof AccessDeniedError &&
        !err.explicit &&
        err.message ===
          'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:f because no identity-based policy allows the lambda:InvokeFunction action',
    );
    const root: Principal = { type: 'Root', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:root`, userId: ACCT, name: 'root' };
    authz.check(root, { action: 'iam:DeleteRole', resource: `arn:aws:iam::${ACCT}:role/x` });
  });

  it('check() evaluates aws:SourceIp conditions against the caller address', () => {
    const { authz, store } = setup();
    store.putInlinePolicy({ kind: 'user', name: 'alice' }, {
      name: 'deny-outside',
      document: doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }),
    });
    const req = (ip: string) => ({ socket: { remoteAddress: ip } }) as never;
    authz.check(user('alice'), { action: 's3:GetObject', resource: 'arn:aws:s3:::a/k' }, req('::ffff:10.1.2.3'));
    assert.throws(() => authz.check(user('alice'), { action: 's3:GetObject', resource: 'arn:aws:s3:::a/k' }, req('127.0.0.1')), (e: unknown) => e instanceof AccessDeniedError && e.explicit && /explicit deny in an? identity-based policy/.test(e.message));
  });

  it('gives a session of a deleted role nothing, even once a role of the same name exists again', () => {
    const { authz, store } = setup();
    store.deleteRole('fn-role');
    store.createRole(fnRole('AROANEW'));
    store.attach({ kind: 'role', name: 'fn-role' }, 'arn:aws:iam::aws:policy/AdministratorAccess');
    assert.deepEqual(authz.identityPolicies(session('fn-role')), []);
  });
});
