import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { QueryErrors } from '../errors/index.ts';
import { checkString, Params, RULES } from './params.ts';
import { isoSeconds, listMembers, parseQuery, renderError, renderResponse, signingService, xmlList } from './query-protocol.ts';
import { parsePolicyDocument } from './policy-document.ts';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

test('form bodies decode percent-escapes and +, first value wins', () => {
  const q = parseQuery('Action=CreateRole&Version=2010-05-08&AssumeRolePolicyDocument=%7B%22a%22%3A+1%7D&Action=Other');
  assert.equal(q.get('Action'), 'CreateRole');
  assert.equal(q.get('AssumeRolePolicyDocument'), '{"a": 1}');
});

test('flattened lists come back in member order, structures as records', () => {
  const q = parseQuery('Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.10.Key=c&Tags.member.10.Value=3&Names.member.1=x&Tags.member.x.Key=junk');
  assert.deepEqual(listMembers(q, 'Tags'), [
    { Key: 'a', Value: '1' },
    { Key: 'b', Value: '2' },
    { Key: 'c', Value: '3' },
  ]);
  assert.deepEqual(listMembers(q, 'Names'), [{ '': 'x' }]);
  assert.deepEqual(new Params(q).tags().map((t) => t.Key), ['a', 'b', 'c']);
});

test('responses wrap the result and metadata in the service namespace; lists use <member>', () => {
  const xml = renderResponse('ListUsers', XMLNS, { Users: xmlList([{ UserName: 'a<b' }, { UserName: 'c' }]), IsTruncated: false, Marker: undefined }, 'req-1');
  assert.equal(
    xml,
    `<ListUsersResponse xmlns="${XMLNS}"><ListUsersResult><Users><member><UserName>a&lt;b</UserName></member><member><UserName>c</UserName></member></Users><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>`,
  );
  assert.equal(renderResponse('DeleteUser', XMLNS, undefined, 'r'), `<DeleteUserResponse xmlns="${XMLNS}"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>`);
});

test('errors render as <ErrorResponse> with Type, Code and Message', () => {
  const xml = renderError(XMLNS, new QueryErrors.NoSuchEntity('The user with name x cannot be found.'), 'r');
  assert.equal(
    xml,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name x cannot be found.</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  );
  assert.equal(new QueryErrors.ServiceFailure('x').type, 'Receiver');
});

test('the signing service comes from the Authorization credential scope or X-Amz-Credential', () => {
  const req = (headers: Record<string, string>, url = '/') => ({ headers, url }) as unknown as IncomingMessage;
  const auth = (svc: string) => `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/${svc}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;
  assert.equal(signingService(req({ authorization: auth('iam') })), 'iam');
  assert.equal(signingService(req({ authorization: auth('sts') })), 'sts');
  assert.equal(signingService(req({}, '/?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&Action=GetCallerIdentity')), 'sts');
  assert.equal(signingService(req({})), undefined);
  assert.equal(signingService(req({ authorization: 'Bearer x' })), undefined);
});

test('validation errors name the member and constraint as AWS does', () => {
  assert.throws(() => checkString('bad name!', 'RoleName', RULES.roleName), {
    name: 'ValidationError',
    message: "1 validation error detected: Value 'bad name!' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
  });
  assert.throws(() => checkString('x'.repeat(65), 'UserName', RULES.userName), /Member must have length less than or equal to 64/);
  assert.throws(() => new Params(parseQuery('')).required('UserName', RULES.userName), /Value null at 'userName' failed to satisfy constraint: Member must not be null/);
  assert.throws(() => new Params(parseQuery('MaxItems=0')).int('MaxItems', { min: 1, max: 1000 }), /greater than or equal to 1/);
  assert.equal(checkString('/a/b/', 'Path', RULES.path), '/a/b/');
  assert.throws(() => checkString('a/', 'Path', RULES.path), QueryErrors.ValidationError);
});

test('timestamps have whole seconds', () => {
  assert.equal(isoSeconds(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05Z');
});

test('policy documents: JSON, statements, and what each kind must or must not have', () => {
  const trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
  assert.ok(parsePolicyDocument(trust, 'trust'));
  assert.throws(() => parsePolicyDocument('{not json', 'trust'), { name: 'MalformedPolicyDocument', message: 'This policy contains invalid Json' });
  assert.throws(() => parsePolicyDocument(trust, 'identity'), /should not specify a principal/);
  assert.throws(() => parsePolicyDocument('{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}', 'identity'), /must contain resources/);
  assert.throws(() => parsePolicyDocument('{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}', 'trust'), /prohibited field Resource/);
  assert.throws(() => parsePolicyDocument('{"Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}', 'identity'), /Syntax errors/);
  assert.throws(() => parsePolicyDocument('{"Version":"2020-01-01","Statement":[]}', 'identity'), /legacy parsing/);
  assert.throws(() => parsePolicyDocument('{"Statement":[{"Effect":"Allow","Action":"s3","Resource":"*"}]}', 'identity'), /prefaced by a vendor/);
});
