import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatement, policyAllows, principalOf, wildcardMatch } from './policy-statements.ts';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:f';

test('statements are built as AddPermission builds them', () => {
  const s = buildStatement(FN, { StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::b', SourceAccount: '123456789012' });
  assert.equal(
    JSON.stringify(s),
    `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"${FN}","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}}`,
  );
  assert.deepEqual(principalOf('210987654321'), { AWS: 'arn:aws:iam::210987654321:root' });
  assert.deepEqual(principalOf('arn:aws:iam::210987654321:role/r'), { AWS: 'arn:aws:iam::210987654321:role/r' });
  assert.equal(principalOf('*'), '*');
  assert.throws(() => principalOf('not a principal'), { message: 'The provided principal was invalid. Please check the principal and try again.' });
  const org = buildStatement(FN, { StatementId: 'o', Action: 'lambda:*', Principal: '*', PrincipalOrgID: 'o-abcdefghij', FunctionUrlAuthType: 'NONE' });
  assert.deepEqual(org.Condition, { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij', 'lambda:FunctionUrlAuthType': 'NONE' } });
});

test('Allow statements match principal, action wildcards, resource and conditions', () => {
  const s3 = buildStatement(FN, { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::logs-*' });
  const req = { action: 'lambda:InvokeFunction', principalService: 's3.amazonaws.com', resource: FN, context: { 'aws:SourceArn': 'arn:aws:s3:::logs-2024' } };
  assert.ok(policyAllows([s3], req));
  assert.ok(!policyAllows([s3], { ...req, context: { 'aws:SourceArn': 'arn:aws:s3:::other' } }));
  assert.ok(!policyAllows([s3], { ...req, context: {} }), 'a condition key the request lacks fails');
  assert.ok(!policyAllows([s3], { ...req, principalService: 'sns.amazonaws.com' }));
  assert.ok(!policyAllows([s3], { ...req, action: 'lambda:GetFunction' }));
  assert.ok(!policyAllows([s3], { ...req, resource: `${FN}:prod` }));
  const star = buildStatement(FN, { StatementId: 'b', Action: 'lambda:*', Principal: 's3.amazonaws.com' });
  assert.ok(policyAllows([star], { ...req, context: {} }));
  const account = buildStatement(FN, { StatementId: 'c', Action: '*', Principal: '123456789012', SourceAccount: '123456789012' });
  assert.ok(policyAllows([account], { action: 'lambda:GetFunction', principalAccount: '123456789012', resource: FN, context: { 'AWS:SourceAccount': '123456789012' } }));
  assert.ok(!policyAllows([account], { action: 'lambda:GetFunction', principalService: 's3.amazonaws.com', resource: FN }));
});

test('IAM wildcards', () => {
  assert.ok(wildcardMatch('lambda:Invoke*', 'lambda:InvokeFunction', true));
  assert.ok(wildcardMatch('LAMBDA:invokefunction', 'lambda:InvokeFunction', true));
  assert.ok(!wildcardMatch('lambda:Invoke*', 'lambda:GetFunction', true));
  assert.ok(wildcardMatch('arn:aws:s3:::b?cket', 'arn:aws:s3:::bucket', false));
  assert.ok(!wildcardMatch('arn:aws:s3:::b.cket', 'arn:aws:s3:::bucket', false));
  assert.ok(!wildcardMatch('arn:aws:s3:::Bucket', 'arn:aws:s3:::bucket', false));
});
