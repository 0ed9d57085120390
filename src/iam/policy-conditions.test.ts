import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './policy-parser.ts';
import { conditionsHold } from './policy-conditions.ts';
import { ContextKeys, type RequestContext } from './policy-match.ts';

/** Whether a Condition block holds for a request context (variables on, as in 2012-10-17). */
function holds(condition: object, context: RequestContext = {}): boolean {
  const doc = parsePolicy({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: condition } }, 'identity');
  const keys = new ContextKeys(context);
  return conditionsHold(doc.statements[0]!.conditions, keys, keys);
}

test('StringEquals: values of a key OR, keys AND, operators AND; keys are case-insensitive', () => {
  const c = { StringEquals: { 'aws:PrincipalTag/dept': ['audit', 'security'], 'aws:PrincipalTag/role': 'lead' } };
  assert.ok(holds(c, { 'aws:PrincipalTag/dept': 'security', 'aws:PrincipalTag/role': 'lead' }));
  assert.ok(!holds(c, { 'aws:PrincipalTag/dept': 'security', 'aws:PrincipalTag/role': 'member' }));
  assert.ok(!holds(c, { 'aws:PrincipalTag/dept': 'Security', 'aws:PrincipalTag/role': 'lead' }), 'case-sensitive values');
  assert.ok(!holds(c, { 'aws:PrincipalTag/role': 'lead' }), 'a missing key fails');
  assert.ok(holds({ StringEquals: { 'AWS:SourceAccount': '111122223333' } }, { 'aws:sourceaccount': '111122223333' }));
  const both = { StringEquals: { 'aws:SourceAccount': '1' }, StringLike: { 's3:prefix': 'home/*' } };
  assert.ok(holds(both, { 'aws:SourceAccount': '1', 's3:prefix': 'home/x' }));
  assert.ok(!holds(both, { 'aws:SourceAccount': '1', 's3:prefix': 'work/x' }));
});

test('negated operators: several values NOR; a missing key makes them true', () => {
  const c = { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } };
  assert.ok(!holds(c, { 'aws:PrincipalTag/role': 'audit' }));
  assert.ok(!holds(c, { 'aws:PrincipalTag/role': 'security' }));
  assert.ok(holds(c, { 'aws:PrincipalTag/role': 'dev' }));
  assert.ok(holds(c, {}));
  for (const op of ['StringNotLike', 'StringNotEqualsIgnoreCase', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike']) {
    assert.ok(holds({ [op]: { 'k:missing': '1' } }), `${op} with a missing key`);
  }
  for (const op of ['StringEquals', 'StringLike', 'NumericEquals', 'DateEquals', 'Bool', 'BinaryEquals', 'IpAddress', 'ArnLike']) {
    assert.ok(!holds({ [op]: { 'k:missing': '1' } }), `${op} with a missing key`);
  }
});

test('StringEqualsIgnoreCase, StringLike and StringNotLike', () => {
  assert.ok(holds({ StringEqualsIgnoreCase: { k: 'Hello' } }, { k: 'hELLO' }));
  assert.ok(!holds({ StringNotEqualsIgnoreCase: { k: 'Hello' } }, { k: 'hELLO' }));
  assert.ok(holds({ StringLike: { k: 'a*c/?' } }, { k: 'a:b/c/d' }), 'glob * spans anything');
  assert.ok(!holds({ StringLike: { k: 'a*c/?' } }, { k: 'A:b/c/d' }), 'case-sensitive');
  assert.ok(!holds({ StringLike: { k: 'a.c' } }, { k: 'abc' }), 'a glob, not a regex');
  assert.ok(holds({ StringNotLike: { k: ['x*', 'y*'] } }, { k: 'zebra' }));
  assert.ok(!holds({ StringNotLike: { k: ['x*', 'y*'] } }, { k: 'yak' }));
});

test('StringLike with variables (AWS example: the s3:prefix home folder)', () => {
  const c = { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/'] } };
  assert.ok(holds(c, { 's3:prefix': 'home/alice/', 'aws:username': 'alice' }));
  assert.ok(holds(c, { 's3:prefix': '', 'aws:username': 'alice' }));
  assert.ok(!holds(c, { 's3:prefix': 'home/bob/', 'aws:username': 'alice' }));
  assert.ok(!holds(c, { 's3:prefix': 'home/alice/' }), 'no username: the value does not match');
  assert.ok(holds({ StringLike: { k: 'a${*}' } }, { k: 'a*' }), '${*} is a literal star');
  assert.ok(!holds({ StringLike: { k: 'a${*}' } }, { k: 'ab' }));
  assert.ok(holds({ StringEquals: { 'aws:SourceArn': '${aws:PrincipalArn}' } }, { 'aws:SourceArn': 'arn:x', 'aws:PrincipalArn': 'arn:x' }));
});

test('Numeric operators (AWS example: s3:max-keys up to 10)', () => {
  const c = { NumericLessThanEquals: { 's3:max-keys': '10' } };
  assert.ok(holds(c, { 's3:max-keys': '9' }), 'compared as numbers, not text');
  assert.ok(holds(c, { 's3:max-keys': 10 }));
  assert.ok(!holds(c, { 's3:max-keys': '11' }));
  assert.ok(!holds(c, { 's3:max-keys': 'ten' }));
  assert.ok(holds({ NumericEquals: { k: '1.5' } }, { k: '1.50' }));
  assert.ok(holds({ NumericNotEquals: { k: ['1', '2'] } }, { k: '3' }));
  assert.ok(!holds({ NumericNotEquals: { k: ['1', '2'] } }, { k: '2' }));
  assert.ok(holds({ NumericLessThan: { k: 5 } }, { k: 4 }) && !holds({ NumericLessThan: { k: 5 } }, { k: 5 }));
  assert.ok(holds({ NumericGreaterThan: { k: 5 } }, { k: 6 }) && !holds({ NumericGreaterThan: { k: 5 } }, { k: 5 }));
  assert.ok(holds({ NumericGreaterThanEquals: { k: 5 } }, { k: 5 }) && !holds({ NumericGreaterThanEquals: { k: 5 } }, { k: 4 }));
});

test('Date operators: ISO 8601 and epoch seconds, on either side', () => {
  const c = { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } };
  assert.ok(holds(c, { 'aws:TokenIssueTime': '2020-06-01T00:00:00Z' }));
  assert.ok(!holds(c, { 'aws:TokenIssueTime': '2019-12-31T23:59:59Z' }));
  assert.ok(!holds(c, {}), 'no temporary credentials: no key, no match');
  const window = { DateGreaterThanEquals: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2024-02-01' } };
  assert.ok(holds(window, { 'aws:CurrentTime': '2024-01-15T12:00:00Z' }));
  assert.ok(holds(window, { 'aws:CurrentTime': '2024-01-01T00:00:00Z' }));
  assert.ok(!holds(window, { 'aws:CurrentTime': '2024-02-01T00:00:00Z' }));
  assert.ok(holds({ DateLessThan: { 'aws:EpochTime': '2024-01-01T00:00:00Z' } }, { 'aws:EpochTime': 1700000000 }));
  assert.ok(holds({ DateEquals: { 'aws:CurrentTime': '1704067200' } }, { 'aws:CurrentTime': '2024-01-01T00:00:00Z' }));
  assert.ok(holds({ DateLessThanEquals: { 'aws:CurrentTime': '1704067200' } }, { 'aws:CurrentTime': '2024-01-01T00:00:00Z' }));
  assert.ok(holds({ DateNotEquals: { 'aws:CurrentTime': '1704067200' } }, { 'aws:CurrentTime': '2024-01-01T00:00:01Z' }));
  assert.ok(!holds({ DateEquals: { 'aws:CurrentTime': '1704067200' } }, { 'aws:CurrentTime': 'garbage' }));
});

test('Bool (AWS example: deny when not over TLS) and BinaryEquals', () => {
  const c = { Bool: { 'aws:SecureTransport': 'false' } };
  assert.ok(holds(c, { 'aws:SecureTransport': false }));
  assert.ok(holds(c, { 'aws:SecureTransport': 'False' }));
  assert.ok(!holds(c, { 'aws:SecureTransport': true }));
  assert.ok(!holds(c, {}));
  assert.ok(holds({ Bool: { 'aws:MultiFactorAuthPresent': true } }, { 'aws:MultiFactorAuthPresent': 'true' }));
  const b64 = Buffer.from('BinaryValueInBase64').toString('base64');
  assert.ok(holds({ BinaryEquals: { k: b64 } }, { k: b64 }));
  assert.ok(!holds({ BinaryEquals: { k: b64 } }, { k: Buffer.from('other').toString('base64') }));
});

test('IpAddress and NotIpAddress: IPv4 and IPv6 CIDR, a bare address is /32', () => {
  const c = { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } };
  assert.ok(holds(c, { 'aws:SourceIp': '203.0.113.7' }));
  assert.ok(!holds(c, { 'aws:SourceIp': '203.0.114.7' }));
  assert.ok(holds(c, { 'aws:SourceIp': '2001:db8:1234:5678::1' }));
  assert.ok(!holds(c, { 'aws:SourceIp': '2001:db8:1234:5679::1' }));
  assert.ok(!holds(c, { 'aws:SourceIp': 'not-an-ip' }));
  assert.ok(holds({ IpAddress: { 'aws:SourceIp': '198.51.100.1' } }, { 'aws:SourceIp': '198.51.100.1' }));
  assert.ok(!holds({ IpAddress: { 'aws:SourceIp': '198.51.100.1' } }, { 'aws:SourceIp': '198.51.100.2' }));
  assert.ok(!holds({ IpAddress: { 'aws:SourceIp': '198.51.100.0/33' } }, { 'aws:SourceIp': '198.51.100.2' }), 'a bad range matches nothing');
  assert.ok(holds({ NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '10.0.0.0/8'] } }, { 'aws:SourceIp': '203.0.113.7' }));
  assert.ok(!holds({ NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '10.0.0.0/8'] } }, { 'aws:SourceIp': '10.1.2.3' }));
});

test('ARN operators match each of the six parts separately (AWS example)', () => {
  const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
  const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
  assert.ok(holds({ StringLike: { 'aws:SourceArn': pattern } }, { 'aws:SourceArn': value }));
  assert.ok(!holds({ ArnLike: { 'aws:SourceArn': pattern } }, { 'aws:SourceArn': value }));
  assert.ok(holds({ ArnLike: { 'aws:SourceArn': pattern } }, { 'aws:SourceArn': 'arn:aws:someservice:us-east-2:111122223333:finance/a:b' }));
  const topic = 'arn:aws:sns:us-east-1:123456789012:TOPIC-ID';
  assert.ok(holds({ ArnEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': topic }));
  assert.ok(!holds({ ArnEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': `${topic}2` }));
  assert.ok(holds({ ArnNotEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': `${topic}2` }));
  assert.ok(!holds({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, { 'aws:SourceArn': topic }));
  assert.ok(!holds({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, { 'aws:SourceArn': 'not-an-arn' }));
  assert.ok(holds({ ArnLike: { 'aws:PrincipalArn': '${aws:SourceArn}' } }, { 'aws:PrincipalArn': topic, 'aws:SourceArn': topic }));
});

test('Null: true asks for an absent key, false for a present one (AWS example: no temporary credentials)', () => {
  const c = { Null: { 'aws:TokenIssueTime': 'true' } };
  assert.ok(holds(c, {}));
  assert.ok(!holds(c, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }));
  assert.ok(holds({ Null: { 'aws:TokenIssueTime': false } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }));
  assert.ok(!holds({ Null: { 'aws:TokenIssueTime': 'false' } }, {}));
  assert.ok(holds({ Null: { k: 'true' } }, { k: [] }), 'an empty set counts as absent');
});

test('...IfExists: a missing key holds; a present one is checked (AWS example: ec2:InstanceType)', () => {
  const c = { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } };
  assert.ok(holds(c, {}));
  assert.ok(holds(c, { 'ec2:InstanceType': 't2.micro' }));
  assert.ok(!holds(c, { 'ec2:InstanceType': 'p4d.24xlarge' }));
  // "If you are using a Deny with a negated operator like StringNotEqualsIfExists, the request is still denied even if the tag is missing."
  assert.ok(holds({ StringNotEqualsIfExists: { 'aws:RequestTag/team': 'blue' } }, {}));
  assert.ok(!holds({ StringNotEqualsIfExists: { 'aws:RequestTag/team': 'blue' } }, { 'aws:RequestTag/team': 'blue' }));
  assert.ok(holds({ NumericLessThanIfExists: { k: 3 } }, {}) && !holds({ NumericLessThanIfExists: { k: 3 } }, { k: 4 }));
  assert.ok(holds({ IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }, {}));
});

test('ForAllValues: every request value must match; an empty or missing set holds', () => {
  const c = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };
  assert.ok(holds(c, { 'aws:TagKeys': ['environment'] }));
  assert.ok(holds(c, { 'aws:TagKeys': ['environment', 'cost-center'] }));
  assert.ok(!holds(c, { 'aws:TagKeys': ['environment', 'owner'] }));
  assert.ok(holds(c, {}), 'missing key');
  assert.ok(holds(c, { 'aws:TagKeys': [] }), 'empty set');
  const notLike = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': ['key1*'] } };
  assert.ok(holds(notLike, { 'aws:TagKeys': ['a', 'b'] }));
  assert.ok(!holds(notLike, { 'aws:TagKeys': ['a', 'key1x'] }));
  assert.ok(holds({ 'ForAllValues:StringLikeIfExists': { k: 'a*' } }, {}));
});

test('ForAnyValue: at least one request value must match; a missing set fails', () => {
  const c = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };
  assert.ok(holds(c, { 'aws:TagKeys': ['owner', 'cost-center'] }));
  assert.ok(!holds(c, { 'aws:TagKeys': ['owner'] }));
  assert.ok(!holds(c, {}));
  assert.ok(!holds(c, { 'aws:TagKeys': [] }));
  const notEq = { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['a', 'b'] } };
  assert.ok(holds(notEq, { 'aws:TagKeys': ['a', 'c'] }), 'c matches none of the policy values');
  assert.ok(!holds(notEq, { 'aws:TagKeys': ['a', 'b'] }));
  assert.ok(!holds(notEq, {}));
  assert.ok(holds({ 'ForAnyValue:StringLikeIfExists': { k: 'a*' } }, {}));
});

test('a single-valued operator given several request values: any matches, negated none', () => {
  assert.ok(holds({ StringEquals: { k: 'b' } }, { k: ['a', 'b'] }));
  assert.ok(!holds({ StringNotEquals: { k: 'b' } }, { k: ['a', 'b'] }));
  assert.ok(holds({ StringNotEquals: { k: 'c' } }, { k: ['a', 'b'] }));
});
