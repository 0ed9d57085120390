import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../iam/policy-engine.ts';
import { parsePolicy } from '../iam/policy-parser.ts';
import { buildStatement, principalOf, type PolicyStatement } from './policy-statements.ts';

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

/** A function policy of these statements, decided by the IAM policy engine as PolicyService.allows does. */
function allows(statements: PolicyStatement[], req: { action: string; service: string; resource: string; context?: Record<string, string> }): boolean {
  const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }), 'resource');
  return evaluate({ principal: { service: req.service }, action: req.action, resource: req.resource, context: req.context ?? {} }, { resource: [doc] }).decision === 'Allow';
}

test('AddPermission statements, evaluated by the policy engine, match principal, action wildcards, resource and conditions', () => {
  const s3 = buildStatement(FN, { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::logs-*', SourceAccount: '123456789012' });
  const req = { action: 'lambda:InvokeFunction', service: 's3.amazonaws.com', resource: FN, context: { 'aws:SourceArn': 'arn:aws:s3:::logs-2024', 'aws:SourceAccount': '123456789012' } };
  assert.ok(allows([s3], req));
  assert.ok(!allows([s3], { ...req, context: { ...req.context, 'aws:SourceArn': 'arn:aws:s3:::other' } }));
  assert.ok(!allows([s3], { ...req, context: { 'aws:SourceArn': 'arn:aws:s3:::logs-2024' } }), 'a condition key the request lacks fails');
  assert.ok(!allows([s3], { ...req, service: 'sns.amazonaws.com' }));
  assert.ok(!allows([s3], { ...req, action: 'lambda:GetFunction' }));
  assert.ok(!allows([s3], { ...req, resource: `${FN}:prod` }));
  const star = buildStatement(FN, { StatementId: 'b', Action: 'lambda:*', Principal: 's3.amazonaws.com' });
  assert.ok(allows([star], { ...req, context: {} }));
  const account = buildStatement(FN, { StatementId: 'c', Action: '*', Principal: '123456789012' });
  assert.ok(!allows([account], req), 'an account principal is not a service');
});
