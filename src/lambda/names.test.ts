import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterValueException, ResourceNotFoundException } from '../errors/index.ts';
import { lastModifiedNow, parseFunctionRef } from './names.ts';

const scope = { region: 'us-east-1', accountId: '123456789012' };

test('accepts the name, partial ARN and ARN forms, each with a qualifier', () => {
  assert.deepEqual(parseFunctionRef('my-fn', scope), { name: 'my-fn' });
  assert.deepEqual(parseFunctionRef('my-fn:$LATEST', scope), { name: 'my-fn', qualifier: '$LATEST' });
  assert.deepEqual(parseFunctionRef('123456789012:function:my-fn', scope), { name: 'my-fn' });
  assert.deepEqual(parseFunctionRef('arn:aws:lambda:us-east-1:123456789012:function:my_fn:prod', scope), { name: 'my_fn', qualifier: 'prod' });
});

test('refuses bad names and names over 64 characters', () => {
  assert.throws(() => parseFunctionRef('bad name', scope), InvalidParameterValueException);
  assert.throws(() => parseFunctionRef('a/b', scope), InvalidParameterValueException);
  assert.throws(() => parseFunctionRef('x'.repeat(65), scope), /length less than or equal to 64/);
});

test('an ARN of another account or region names no function here', () => {
  assert.throws(() => parseFunctionRef('arn:aws:lambda:eu-west-1:123456789012:function:f', scope), ResourceNotFoundException);
  assert.throws(() => parseFunctionRef('arn:aws:lambda:us-east-1:999999999999:function:f', scope), ResourceNotFoundException);
});

test('LastModified uses AWS\'s +0000 offset form', () => {
  assert.equal(lastModifiedNow(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), '2024-01-02T03:04:05.006+0000');
});
