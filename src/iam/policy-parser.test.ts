import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedPolicyDocumentError, parseDateValue, parseOperator, parsePolicy, type PolicyKind } from './policy-parser.ts';

const stmt = (s: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [s] });
const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };

function rejects(doc: unknown, kind: PolicyKind, message: string | RegExp): void {
  assert.throws(
    () => parsePolicy(typeof doc === 'string' ? doc : (doc as object), kind),
    (err: unknown) => {
      assert.ok(err instanceof MalformedPolicyDocumentError);
      assert.ok(err instanceof Error);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

test('parses an identity policy from JSON text, a single statement object and string fields', () => {
  const doc = parsePolicy(
    '{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"S1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}',
    'identity',
  );
  assert.equal(doc.version, '2012-10-17');
  assert.equal(doc.id, 'x');
  assert.deepEqual(doc.statements, [
    { sid: 'S1', effect: 'Allow', action: ['s3:GetObject'], resource: ['arn:aws:s3:::b/*'], conditions: [] },
  ]);
  assert.ok(Object.isFrozen(doc) && Object.isFrozen(doc.statements[0]));
});

test('a document without Version is 2008-10-17; both versions are accepted', () => {
  assert.equal(parsePolicy({ Statement: allowAll }, 'identity').version, '2008-10-17');
  assert.equal(parsePolicy({ Version: '2008-10-17', Statement: allowAll }, 'identity').version, '2008-10-17');
  rejects({ Version: '2011-01-01', Statement: allowAll }, 'identity', 'Syntax errors in policy.');
  rejects({ Version: '2011-01-01', Statement: allowAll }, 'resource', 'Invalid Version');
});

test('parses principals, NotAction, NotResource and conditions', () => {
  const doc = parsePolicy(
    stmt({
      Effect: 'Deny',
      NotPrincipal: { AWS: ['arn:aws:iam::123456789012:root', '123456789012'], Service: 's3.amazonaws.com' },
      NotAction: ['s3:Get*'],
      NotResource: 'arn:aws:s3:::b',
      Condition: { 'ForAllValues:StringLikeIfExists': { 'aws:TagKeys': ['a*', 'b'] }, Bool: { 'aws:SecureTransport': false } },
    }),
    'resource',
  );
  const s = doc.statements[0]!;
  assert.deepEqual(s.notPrincipal, { AWS: ['arn:aws:iam::123456789012:root', '123456789012'], Service: ['s3.amazonaws.com'] });
  assert.deepEqual(s.notAction, ['s3:Get*']);
  assert.deepEqual(s.notResource, ['arn:aws:s3:::b']);
  assert.deepEqual(s.conditions, [
    { operator: 'ForAllValues:StringLikeIfExists', base: 'StringLike', set: 'ForAllValues', ifExists: true, key: 'aws:TagKeys', values: ['a*', 'b'] },
    { operator: 'Bool', base: 'Bool', ifExists: false, key: 'aws:SecureTransport', values: ['false'] },
  ]);
  assert.equal(parsePolicy(stmt({ ...allowAll, Principal: '*' }), 'resource').statements[0]!.principal, '*');
});

test('invalid JSON and wrong shapes are syntax errors (S3 wording for resource policies)', () => {
  rejects('{not json', 'identity', 'Syntax errors in policy.');
  rejects('[]', 'trust', 'Syntax errors in policy.');
  rejects('{not json', 'resource', "Policies must be valid JSON and the first byte must be '{'");
  rejects(stmt({ ...allowAll, Action: 5 }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, Resource: [1] }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, Condition: 'x' }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, Condition: { StringEquals: { k: [{}] } } }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, NotAction: 's3:*' }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, NotResource: '*' }), 'identity', 'Syntax errors in policy.');
  rejects({ Version: '2012-10-17', Statement: [] }, 'identity', 'Syntax errors in policy.');
  rejects({ Version: '2012-10-17' }, 'resource', 'Missing required field Statement');
});

test('unknown fields: IAM says syntax error, S3 names the field', () => {
  rejects({ ...stmt(allowAll), Foo: 1 }, 'identity', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, Foo: 1 }), 'trust', 'Syntax errors in policy.');
  rejects(stmt({ ...allowAll, Principal: '*', Foo: 1 }), 'resource', 'Unknown field Foo');
  rejects({ ...stmt({ ...allowAll, Principal: '*' }), Foo: 1 }, 'resource', 'Unknown field Foo');
});

test('Effect is required and must be Allow or Deny (case-sensitive)', () => {
  rejects(stmt({ Action: '*', Resource: '*' }), 'identity', 'Syntax errors in policy.');
  rejects(stmt({ Action: '*', Resource: '*', Principal: '*' }), 'resource', 'Missing required field Effect');
  rejects(stmt({ ...allowAll, Effect: 'allow', Principal: '*' }), 'resource', 'Invalid effect: allow');
});

test('actions: present, vendor-prefixed, one colon', () => {
  rejects(stmt({ Effect: 'Allow', Resource: '*' }), 'identity', 'Policy statement must contain actions.');
  rejects(stmt({ Effect: 'Allow', Action: [], Resource: '*' }), 'identity', 'Policy statement must contain actions.');
  rejects(stmt({ ...allowAll, Action: 'GetObject' }), 'identity', 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  rejects(stmt({ ...allowAll, Action: 's3:a:b' }), 'identity', 'Actions/Condition can contain only one colon.');
  rejects(stmt({ ...allowAll, Action: 's 3:Get' }), 'identity', 'Vendor s 3 is not valid');
  assert.doesNotThrow(() => parsePolicy(stmt({ ...allowAll, Action: ['*:Get*', 'iam:*AccessKey*'] }), 'identity'));
});

test('resources: present and in ARN format', () => {
  rejects(stmt({ Effect: 'Allow', Action: '*' }), 'identity', 'Policy statement must contain resources.');
  rejects(stmt({ ...allowAll, Resource: [] }), 'identity', 'Policy statement must contain resources.');
  rejects(stmt({ ...allowAll, Resource: 'my-bucket' }), 'identity', 'Resource my-bucket must be in ARN format or "*".');
  rejects(stmt({ Effect: 'Deny', Action: '*', Principal: '*', NotResource: 'x' }), 'resource', 'Resource x must be in ARN format or "*".');
});

test('identity policies may not name a principal; Sids are alphanumeric and unique', () => {
  rejects(stmt({ ...allowAll, Principal: '*' }), 'identity', 'Policy document should not specify a principal.');
  rejects(stmt({ ...allowAll, NotPrincipal: { AWS: '123456789012' } }), 'identity', 'Policy document should not specify a principal.');
  rejects(stmt({ ...allowAll, Sid: 'with space' }), 'identity', /^Statement IDs \(SID\) must be alpha-numeric/);
  assert.doesNotThrow(() => parsePolicy(stmt({ ...allowAll, Sid: 'with-dash', Principal: '*' }), 'resource'));
  rejects({ Statement: [{ ...allowAll, Sid: 'A' }, { ...allowAll, Sid: 'A' }] }, 'identity', 'Statement IDs (SID) in a single policy must be unique.');
});

test('resource policies require a principal', () => {
  rejects(stmt(allowAll), 'resource', 'Missing required field Principal');
  rejects(stmt({ ...allowAll, Principal: '*', NotPrincipal: '*' }), 'resource', 'Syntax errors in policy.');
});

test('trust policies: Principal required, no Resource, STS actions only', () => {
  const trust = { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' };
  assert.doesNotThrow(() => parsePolicy(stmt(trust), 'trust'));
  rejects(stmt({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', 'Missing required field Principal');
  rejects(stmt({ ...trust, Resource: '*' }), 'trust', 'Has prohibited field Resource');
  rejects(stmt({ ...trust, NotResource: '*' }), 'trust', 'Has prohibited field NotResource');
  rejects(stmt({ ...trust, Action: 's3:GetObject' }), 'trust', /^Trust Policy statement actions can only be sts:AssumeRole/);
  assert.doesNotThrow(() => parsePolicy(stmt({ ...trust, Action: ['sts:AssumeRole', 'sts:TagSession'] }), 'trust'));
});

test('invalid principals are named in the message', () => {
  const p = (Principal: unknown) => stmt({ ...allowAll, Principal });
  rejects(p({ AWS: 'x' }), 'resource', 'Invalid principal in policy: "AWS":"x"');
  rejects(p({ AWS: 'arn:aws:iam::123456789012:role/*' }), 'resource', 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"');
  rejects(p({ AWS: '12345' }), 'resource', 'Invalid principal in policy: "AWS":"12345"');
  rejects(p({ Service: 'not a service' }), 'resource', 'Invalid principal in policy: "Service":"not a service"');
  rejects(p({ Robot: 'r2d2' }), 'resource', 'Invalid principal in policy: "Robot":"r2d2"');
  rejects(p({ AWS: [] }), 'resource', 'Invalid principal in policy: "AWS":""');
  rejects(p({}), 'resource', 'Syntax errors in policy.');
  rejects(p('everyone'), 'resource', 'Syntax errors in policy.');
  for (const ok of [
    '*', '123456789012', 'arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:user/path/bob',
    'arn:aws:iam::123456789012:role/r', 'arn:aws:sts::123456789012:assumed-role/r/session',
  ]) {
    assert.doesNotThrow(() => parsePolicy(p({ AWS: ok }), 'resource'), ok);
  }
});

test('principalExists refuses ARNs of users and roles that do not exist, as AWS does', () => {
  const known = new Set(['arn:aws:iam::123456789012:role/known']);
  const options = { principalExists: (arn: string) => known.has(arn) };
  const doc = (arn: string) => stmt({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: arn } });
  assert.doesNotThrow(() => parsePolicy(doc('arn:aws:iam::123456789012:role/known'), 'trust', options));
  assert.doesNotThrow(() => parsePolicy(doc('arn:aws:iam::123456789012:root'), 'trust', options));
  assert.throws(() => parsePolicy(doc('arn:aws:iam::123456789012:role/gone'), 'trust', options), /Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role\/gone"/);
});

test('condition operators: unknown ones and Null...IfExists are refused; dates must parse', () => {
  const c = (Condition: unknown) => stmt({ ...allowAll, Condition });
  rejects(c({ StringEqualz: { k: 'v' } }), 'identity', 'Syntax errors in policy.');
  rejects(c({ 'ForSomeValues:StringEquals': { k: 'v' } }), 'identity', 'Syntax errors in policy.');
  rejects(c({ NullIfExists: { k: 'true' } }), 'identity', 'Syntax errors in policy.');
  rejects(c({ DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }), 'identity', 'The policy failed legacy parsing');
  assert.doesNotThrow(() => parsePolicy(c({ DateLessThan: { 'aws:CurrentTime': ['2020-01-01T00:00:01Z', '1700000000'] } }), 'identity'));
});

test('parseOperator splits set operator, base and IfExists, case-insensitively', () => {
  assert.deepEqual(parseOperator('StringEquals'), { base: 'StringEquals', ifExists: false });
  assert.deepEqual(parseOperator('forAnyValue:stringlikeifexists'), { base: 'StringLike', set: 'ForAnyValue', ifExists: true });
  assert.deepEqual(parseOperator('NotIpAddressIfExists'), { base: 'NotIpAddress', ifExists: true });
  assert.equal(parseOperator('Nope'), undefined);
});

test('parseDateValue reads ISO 8601 (UTC unless offset) and epoch seconds', () => {
  assert.equal(parseDateValue('2020-01-01T00:00:01Z'), Date.UTC(2020, 0, 1, 0, 0, 1));
  assert.equal(parseDateValue('2020-01-01T00:00:01'), Date.UTC(2020, 0, 1, 0, 0, 1));
  assert.equal(parseDateValue('2020-01-01T01:00:00+0100'), Date.UTC(2020, 0, 1, 0, 0, 0));
  assert.equal(parseDateValue('2020-01-01'), Date.UTC(2020, 0, 1));
  assert.equal(parseDateValue('2020-03'), Date.UTC(2020, 2, 1));
  assert.equal(parseDateValue('1577836800'), Date.UTC(2020, 0, 1));
  assert.equal(parseDateValue('next week'), undefined);
});
