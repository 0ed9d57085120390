import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../auth/types.ts';
import { parsePolicy, type PolicyDocument } from './policy-parser.ts';
import { canAssume, evaluate, isAllowed, principalContext, type AuthorizationRequest, type PolicySet, type RequestPrincipal } from './policy-engine.ts';
import type { RequestContext } from './policy-match.ts';

const ACCT = '111122223333';
const OTHER = '444455556666';
const root: Principal = { type: 'Root', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:root`, userId: ACCT, name: ACCT };
const alice: Principal = { type: 'User', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:user/alice`, userId: 'AIDAALICE', name: 'alice' };
const bob: Principal = { type: 'User', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:user/bob`, userId: 'AIDABOB', name: 'bob' };
const session: Principal = {
  type: 'AssumedRole', accountId: ACCT, arn: `arn:aws:sts::${ACCT}:assumed-role/app/sess`,
  userId: 'AROAAPP:sess', name: 'app', roleArn: `arn:aws:iam::${ACCT}:role/app`,
};
const stranger: Principal = { type: 'User', accountId: OTHER, arn: `arn:aws:iam::${OTHER}:user/eve`, userId: 'AIDAEVE', name: 'eve' };
const s3 = { service: 's3.amazonaws.com' };
const anonymous = { anonymous: true } as const;

const FN = `arn:aws:lambda:us-east-1:${ACCT}:function:f`;
const doc = (kind: 'identity' | 'resource', statements: object[], version = '2012-10-17'): PolicyDocument =>
  parsePolicy({ Version: version, Statement: statements }, kind);
const id = (...statements: object[]) => doc('identity', statements);
const res = (...statements: object[]) => doc('resource', statements);
const req = (principal: RequestPrincipal, action: string, resource: string, context?: RequestContext): AuthorizationRequest => ({
  principal, action, resource, ...(context ? { context } : {}),
});
const decide = (r: AuthorizationRequest, p: PolicySet) => evaluate(r, p).decision;
const allow = (extra: object = {}) => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });

test('no policy: implicit deny; an identity Allow allows', () => {
  assert.deepEqual(evaluate(req(alice, 'lambda:InvokeFunction', FN), {}), { decision: 'ImplicitDeny' });
  const p = { identity: [id({ Sid: 'Invoke', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: FN })] };
  assert.deepEqual(evaluate(req(alice, 'lambda:InvokeFunction', FN), p), {
    decision: 'Allow', matched: { source: 'identity', policyIndex: 0, statementIndex: 0, sid: 'Invoke', effect: 'Allow' },
  });
  assert.equal(decide(req(alice, 'lambda:GetFunction', FN), p), 'ImplicitDeny');
  assert.equal(decide(req(alice, 'lambda:InvokeFunction', `${FN}2`), p), 'ImplicitDeny');
});

test('action names match case-insensitively, with * and ? wildcards', () => {
  const p = { identity: [id({ Effect: 'Allow', Action: ['Lambda:invoke*', 'iam:*AccessKey*', 's3:GetObjec?'], Resource: '*' })] };
  for (const action of ['lambda:InvokeFunction', 'LAMBDA:INVOKEASYNC', 'iam:CreateAccessKey', 'iam:listaccesskeys', 's3:GetObject']) {
    assert.equal(decide(req(alice, action, FN), p), 'Allow', action);
  }
  for (const action of ['lambda:GetFunction', 's3:GetObjectAcl', 'iam:CreateUser']) assert.equal(decide(req(alice, action, FN), p), 'ImplicitDeny', action);
  assert.equal(decide(req(alice, 'sts:GetCallerIdentity', '*'), { identity: [id(allow())] }), 'Allow');
});

test('an explicit Deny in any policy beats every Allow', () => {
  const denyInvoke = { Sid: 'NoInvoke', Effect: 'Deny', Action: 'lambda:Invoke*', Resource: FN };
  const r = req(alice, 'lambda:InvokeFunction', FN);
  assert.deepEqual(evaluate(r, { identity: [id(allow()), id(denyInvoke)] }), {
    decision: 'ExplicitDeny', matched: { source: 'identity', policyIndex: 1, statementIndex: 0, sid: 'NoInvoke', effect: 'Deny' },
  });
  assert.equal(decide(r, { identity: [id(allow())], resource: [res({ ...denyInvoke, Principal: '*' })] }), 'ExplicitDeny');
  assert.equal(decide(r, { identity: [id(denyInvoke)], resource: [res({ ...allow(), Principal: { AWS: alice.arn } })] }), 'ExplicitDeny');
  // A Deny whose condition does not hold does not apply.
  const conditional = { ...denyInvoke, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
  assert.equal(decide(req(alice, 'lambda:InvokeFunction', FN, { 'aws:SecureTransport': true }), { identity: [id(allow(), conditional)] }), 'Allow');
  assert.equal(decide(req(alice, 'lambda:InvokeFunction', FN, { 'aws:SecureTransport': false }), { identity: [id(allow(), conditional)] }), 'ExplicitDeny');
});

test('NotAction with Allow grants everything but the listed actions (AWS example: all but IAM)', () => {
  const p = { identity: [id({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] };
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), p), 'Allow');
  assert.equal(decide(req(alice, 'iam:CreateUser', `arn:aws:iam::${ACCT}:user/x`), p), 'ImplicitDeny');
  const deny = { identity: [id(allow(), { Effect: 'Deny', NotAction: ['s3:Get*', 's3:List*'], Resource: 'arn:aws:s3:::b/*' })] };
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), deny), 'Allow');
  assert.equal(decide(req(alice, 's3:PutObject', 'arn:aws:s3:::b/k'), deny), 'ExplicitDeny');
  assert.equal(decide(req(alice, 's3:PutObject', 'arn:aws:s3:::c/k'), deny), 'Allow');
});

test('NotResource (AWS example: everything in S3 but the payroll folder)', () => {
  const p = { identity: [id({ Effect: 'Allow', Action: 's3:*', NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'] })] };
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::HRBucket/Reviews/a'), p), 'Allow');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::HRBucket/Payroll/a'), p), 'ImplicitDeny');
  assert.equal(decide(req(alice, 's3:ListBucket', 'arn:aws:s3:::HRBucket/Payroll'), p), 'ImplicitDeny');
});

test('Resource wildcards: a * ending a segment spans colons, one inside a segment does not; case-sensitive', () => {
  const allowed = (pattern: string, resource: string) =>
    decide(req(alice, 'x:Y', resource), { identity: [id({ Effect: 'Allow', Action: '*', Resource: pattern })] }) === 'Allow';
  assert.ok(allowed(`arn:aws:lambda:*:${ACCT}:function:*`, `${FN}:prod`));
  assert.ok(allowed('arn:aws:lambda:*', `${FN}:prod`));
  assert.ok(allowed('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b:c'));
  assert.ok(allowed(`arn:aws:lambda:us-*-1:${ACCT}:function:f`, FN));
  assert.ok(!allowed('arn:aws:lambda:us*3:function:f', FN));
  assert.ok(allowed(`arn:aws:lambda:us-east-?:${ACCT}:function:?`, FN));
  assert.ok(!allowed(`arn:aws:lambda:us-east-?:${ACCT}:function:?`, `${FN}x`));
  assert.ok(!allowed('arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/k'));
  assert.ok(!allowed('arn:aws:s3:::bucket/*', '*'));
  assert.ok(allowed('*', '*'));
});

test('root may do anything, except what a resource policy explicitly denies', () => {
  assert.deepEqual(evaluate(req(root, 'iam:DeleteRole', '*'), {}), { decision: 'Allow' });
  // Root is not subject to identity policies (an approximation: AWS has none to attach).
  assert.equal(decide(req(root, 's3:GetObject', 'arn:aws:s3:::b/k'), { identity: [id({ Effect: 'Deny', Action: '*', Resource: '*' })] }), 'Allow');
  for (const Principal of ['*', { AWS: ACCT }, { AWS: `arn:aws:iam::${ACCT}:root` }]) {
    const p = { resource: [res({ Effect: 'Deny', Principal, Action: 's3:*', Resource: 'arn:aws:s3:::b/*' })] };
    assert.equal(decide(req(root, 's3:GetObject', 'arn:aws:s3:::b/k'), p), 'ExplicitDeny');
  }
  const other = { resource: [res({ Effect: 'Deny', Principal: { AWS: alice.arn }, Action: '*', Resource: '*' })] };
  assert.equal(decide(req(root, 's3:GetObject', 'arn:aws:s3:::b/k'), other), 'Allow');
});

test('resource policy naming the user, the role, the session or "*" grants without an identity policy', () => {
  const policy = (Principal: unknown) => ({ resource: [res({ Effect: 'Allow', Principal, Action: 'lambda:InvokeFunction', Resource: FN })] });
  const invoke = (p: RequestPrincipal, Principal: unknown) => decide(req(p, 'lambda:InvokeFunction', FN), policy(Principal));
  assert.equal(invoke(alice, { AWS: alice.arn }), 'Allow');
  assert.equal(invoke(bob, { AWS: alice.arn }), 'ImplicitDeny');
  assert.equal(invoke(session, { AWS: session.roleArn }), 'Allow');
  assert.equal(invoke(session, { AWS: session.arn }), 'Allow');
  assert.equal(invoke(session, { AWS: `arn:aws:iam::${ACCT}:role/other` }), 'ImplicitDeny');
  assert.equal(invoke(session, { AWS: `arn:aws:sts::${ACCT}:assumed-role/app/other-session` }), 'ImplicitDeny');
  for (const p of [alice, session, anonymous, s3]) assert.equal(invoke(p, '*'), 'Allow');
  assert.equal(invoke(alice, { AWS: '*' }), 'Allow');
  assert.equal(invoke(anonymous, { AWS: '*' }), 'Allow');
  assert.equal(invoke(s3, { AWS: '*' }), 'ImplicitDeny');
  assert.deepEqual(evaluate(req(alice, 'lambda:InvokeFunction', FN), policy({ AWS: [bob.arn, alice.arn] })).matched, {
    source: 'resource', policyIndex: 0, statementIndex: 0, effect: 'Allow',
  });
});

test('resource policy naming the account delegates to identity policies (same account)', () => {
  for (const Principal of [{ AWS: ACCT }, { AWS: `arn:aws:iam::${ACCT}:root` }]) {
    const resource = [res({ Effect: 'Allow', Principal, Action: 'lambda:InvokeFunction', Resource: FN })];
    const r = req(alice, 'lambda:InvokeFunction', FN);
    assert.equal(decide(r, { resource }), 'ImplicitDeny');
    assert.equal(decide(r, { resource, identity: [id({ Effect: 'Allow', Action: 'lambda:*', Resource: '*' })] }), 'Allow');
    assert.equal(decide(req(root, 'lambda:InvokeFunction', FN), { resource }), 'Allow');
    assert.equal(decide(req(session, 'lambda:InvokeFunction', FN), { resource }), 'ImplicitDeny');
  }
});

test('service principals: a resource policy naming the service lets the service in', () => {
  const resource = [res({
    Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: FN,
    Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::my-bucket' }, StringEquals: { 'aws:SourceAccount': ACCT } },
  })];
  const ctx = { 'aws:SourceArn': 'arn:aws:s3:::my-bucket', 'aws:SourceAccount': ACCT };
  assert.equal(decide(req(s3, 'lambda:InvokeFunction', FN, ctx), { resource }), 'Allow');
  assert.equal(decide(req({ service: 'S3.amazonaws.com' }, 'lambda:InvokeFunction', FN, ctx), { resource }), 'Allow');
  assert.equal(decide(req(s3, 'lambda:InvokeFunction', FN, { ...ctx, 'aws:SourceArn': 'arn:aws:s3:::other' }), { resource }), 'ImplicitDeny');
  assert.equal(decide(req({ service: 'sns.amazonaws.com' }, 'lambda:InvokeFunction', FN, ctx), { resource }), 'ImplicitDeny');
  assert.equal(decide(req(alice, 'lambda:InvokeFunction', FN, ctx), { resource }), 'ImplicitDeny');
  // A service has no identity policies: an identity Allow cannot speak for it.
  assert.equal(decide(req(s3, 'lambda:InvokeFunction', FN), { identity: [id(allow())] }), 'ImplicitDeny');
});

test('a Deny naming the account applies to everyone in it', () => {
  const p = { identity: [id(allow())], resource: [res({ Effect: 'Deny', Principal: { AWS: ACCT }, Action: 's3:DeleteObject', Resource: '*' })] };
  assert.equal(decide(req(alice, 's3:DeleteObject', 'arn:aws:s3:::b/k'), p), 'ExplicitDeny');
  assert.equal(decide(req(session, 's3:DeleteObject', 'arn:aws:s3:::b/k'), p), 'ExplicitDeny');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), p), 'Allow');
});

test('NotPrincipal with Deny excludes a caller only when all its names are listed (AWS example)', () => {
  const denyAllBut = (names: string[]) => ({
    identity: [id(allow())],
    resource: [res({ Effect: 'Deny', NotPrincipal: { AWS: names }, Action: 's3:*', Resource: '*' })],
  });
  const r = (p: Principal) => req(p, 's3:GetObject', 'arn:aws:s3:::b/k');
  const sessionNames = [session.arn, session.roleArn!, `arn:aws:iam::${ACCT}:root`];
  assert.equal(decide(r(session), denyAllBut(sessionNames)), 'Allow');
  assert.equal(decide(r(alice), denyAllBut(sessionNames)), 'ExplicitDeny');
  assert.equal(decide(r(session), denyAllBut([session.arn, session.roleArn!])), 'ExplicitDeny');
  assert.equal(decide(r(alice), denyAllBut([alice.arn, ACCT])), 'Allow');
  assert.equal(decide(r(alice), denyAllBut([alice.arn])), 'ExplicitDeny');
  assert.equal(decide(r(root), denyAllBut([ACCT])), 'Allow');
});

test('cross-account: both the resource policy and the caller\'s identity policies must allow', () => {
  const r = req(stranger, 's3:GetObject', 'arn:aws:s3:::b/k');
  const identity = [id({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })];
  const resource = [res({ Effect: 'Allow', Principal: { AWS: OTHER }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' })];
  assert.equal(decide(r, { identity, resourceAccountId: ACCT }), 'ImplicitDeny');
  assert.equal(decide(r, { resource, resourceAccountId: ACCT }), 'ImplicitDeny');
  assert.equal(decide(r, { identity, resource, resourceAccountId: ACCT }), 'Allow');
  assert.equal(decide(r, { identity, resource: [res({ ...allow(), Principal: { AWS: stranger.arn } })], resourceAccountId: ACCT }), 'Allow');
});

test('policy variables in Resource: ${aws:username}, defaults, userid, PrincipalArn, escapes', () => {
  const home = id({ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::b/home/${aws:username}', 'arn:aws:s3:::b/home/${aws:username}/*'] });
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/home/alice/doc'), { identity: [home] }), 'Allow');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/home/bob/doc'), { identity: [home] }), 'ImplicitDeny');
  // A role session has no aws:username: the statement does not match.
  assert.equal(decide(req(session, 's3:GetObject', 'arn:aws:s3:::b/home/app/doc'), { identity: [home] }), 'ImplicitDeny');
  const withDefault = id({ Effect: 'Allow', Action: 's3:*', Resource: "arn:aws:s3:::b/${aws:username, 'shared'}/*" });
  assert.equal(decide(req(session, 's3:GetObject', 'arn:aws:s3:::b/shared/x'), { identity: [withDefault] }), 'Allow');
  const byUserId = id({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:userid}/*' });
  assert.equal(decide(req(session, 's3:GetObject', 'arn:aws:s3:::b/AROAAPP:sess/x'), { identity: [byUserId] }), 'Allow');
  const literal = id({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${*}${?}${$}' });
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/*?$'), { identity: [literal] }), 'Allow');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/xy$'), { identity: [literal] }), 'ImplicitDeny');
  // Version 2008-10-17 knows no variables: the text is literal.
  const old = doc('identity', [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:username}' }], '2008-10-17');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/alice'), { identity: [old] }), 'ImplicitDeny');
  assert.equal(decide(req(alice, 's3:GetObject', 'arn:aws:s3:::b/${aws:username}'), { identity: [old] }), 'Allow');
});

test('the principal\'s global keys are derived unless the request gives them', () => {
  assert.deepEqual(principalContext(session), {
    'aws:PrincipalArn': session.roleArn, 'aws:PrincipalAccount': ACCT, 'aws:PrincipalType': 'AssumedRole',
    'aws:userid': 'AROAAPP:sess', 'aws:username': undefined,
  });
  assert.equal(principalContext(root)['aws:PrincipalType'], 'Account');
  const p = { identity: [id(allow({ Condition: { ArnEquals: { 'aws:PrincipalArn': '${aws:PrincipalArn}' }, StringEquals: { 'aws:username': 'alice' } } }))] };
  assert.equal(decide(req(alice, 's3:GetObject', '*'), p), 'Allow');
  assert.equal(decide(req(alice, 's3:GetObject', '*', { 'aws:username': 'mallory' }), p), 'ImplicitDeny');
});

test('canAssume: services, named principals, the account (with identity policies), root', () => {
  const trust = (Principal: unknown, extra: object = {}) =>
    parsePolicy({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal, Action: 'sts:AssumeRole', ...extra } }, 'trust');
  const roleArn = `arn:aws:iam::${ACCT}:role/app`;
  const lambdaTrust = trust({ Service: 'lambda.amazonaws.com' });
  assert.ok(canAssume(lambdaTrust, { service: 'lambda.amazonaws.com' }, { roleArn }));
  assert.ok(!canAssume(lambdaTrust, { service: 'ec2.amazonaws.com' }, { roleArn }));
  assert.ok(!canAssume(lambdaTrust, alice, { roleArn }));
  assert.ok(!canAssume(lambdaTrust, root, { roleArn }), 'trust policies bind even root');

  assert.ok(canAssume(trust({ AWS: alice.arn }), alice, { roleArn }));
  assert.ok(!canAssume(trust({ AWS: alice.arn }), bob, { roleArn }));
  assert.ok(!canAssume(trust({ AWS: alice.arn }), alice, { roleArn, action: 'sts:TagSession' }));

  const accountTrust = trust({ AWS: `arn:aws:iam::${ACCT}:root` });
  assert.ok(canAssume(accountTrust, root, { roleArn }));
  assert.ok(!canAssume(accountTrust, alice, { roleArn }));
  const mayAssume = id({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn });
  assert.ok(canAssume(accountTrust, alice, { roleArn, identity: [mayAssume] }));
  assert.ok(!canAssume(accountTrust, alice, { roleArn, identity: [id({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `${roleArn}2` })] }));

  const external = trust({ AWS: OTHER }, { Condition: { StringEquals: { 'sts:ExternalId': 'secret' } } });
  const eveMay = [id({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' })];
  assert.ok(canAssume(external, stranger, { roleArn, identity: eveMay, context: { 'sts:ExternalId': 'secret' } }));
  assert.ok(!canAssume(external, stranger, { roleArn, identity: eveMay }));
  assert.ok(!canAssume(external, stranger, { roleArn, context: { 'sts:ExternalId': 'secret' } }));
});

test('isAllowed is evaluate(...).decision === "Allow"', () => {
  assert.equal(isAllowed(req(alice, 's3:GetObject', '*'), { identity: [id(allow())] }), true);
  assert.equal(isAllowed(req(alice, 's3:GetObject', '*'), {}), false);
  assert.equal(isAllowed(req(alice, 's3:GetObject', '*'), { identity: [id(allow(), { Effect: 'Deny', Action: '*', Resource: '*' })] }), false);
});

test('in the resource part of an ARN, * spans colons: a Deny cannot be dodged with colons in an object key', () => {
  const policies: PolicySet = {
    identity: [id({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*/secret.txt' })],
  };
  for (const key of ['x', 'x:y', '2024-01-01T00:00:00']) {
    assert.equal(evaluate(req(alice, 's3:GetObject', `arn:aws:s3:::b/${key}/secret.txt`), policies).decision, 'ExplicitDeny', key);
  }
});

test('a policy variable without a value invalidates its statement (no NotResource or negated-operator grant)', () => {
  const noName = { identity: [id({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::private/${aws:username}/*' })] };
  // A role session has no aws:username.
  assert.equal(evaluate(req(session, 's3:GetObject', 'arn:aws:s3:::private/x'), noName).decision, 'ImplicitDeny');
  const negated = { identity: [id({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalArn': '${aws:username}' } } })] };
  assert.equal(evaluate(req(session, 's3:GetObject', 'arn:aws:s3:::b/k'), negated).decision, 'ImplicitDeny');
  // With a value, the statement applies as written.
  assert.equal(evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::private/x'), noName).decision, 'Allow');
});
