import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LAMBDA_ERRORS, TooManyRequestsException } from './lambda-errors.ts';
import { JSON_ERRORS } from './json-errors.ts';
import { S3_ERRORS } from './s3-errors.ts';
import { QUERY_ERRORS } from './query-errors.ts';
import { CLOUDWATCH_ERRORS } from './cloudwatch-errors.ts';

const docs = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');

test('every Lambda wire error has its class name as code and is documented', () => {
  for (const Cls of LAMBDA_ERRORS) {
    const err = Cls === TooManyRequestsException ? new TooManyRequestsException('m', 'ConcurrentInvocationLimitExceeded') : new (Cls as new (m: string) => InstanceType<typeof Cls>)('m');
    assert.equal(err.code, Cls.name);
    assert.ok(err.status >= 400 && err.status < 600, `${Cls.name} has an HTTP error status`);
    assert.ok(docs.includes(`\`${Cls.name}\` | ${err.status}`), `${Cls.name} (${err.status}) is listed in docs/errors.md`);
  }
});

test('every JSON-protocol wire error has its class name as code and is documented', () => {
  for (const Cls of JSON_ERRORS) {
    const err = new Cls('m');
    assert.equal(err.code, Cls.name);
    assert.ok(docs.includes(`\`${Cls.name}\` | ${err.status}`), `${Cls.name} (${err.status}) is listed in docs/errors.md`);
  }
});

test('every S3 wire error has its class name as code, a default message, and is documented', () => {
  const s3Section = docs.slice(docs.indexOf('## S3'));
  for (const Cls of S3_ERRORS) {
    const err = new Cls();
    assert.equal(err.code, Cls.name);
    assert.ok(err.message.length > 0, `${Cls.name} has S3's default message`);
    assert.ok(err.status >= 400 && err.status < 600, `${Cls.name} has an HTTP error status`);
    assert.ok(s3Section.includes(`\`${Cls.name}\` | ${err.status}`), `${Cls.name} (${err.status}) is listed in the S3 section of docs/errors.md`);
  }
});

test('every IAM/STS (query protocol) wire error has its class name as code and is documented', () => {
  const section = docs.slice(docs.indexOf('## IAM and STS'));
  for (const Cls of QUERY_ERRORS) {
    const err = new Cls('m');
    assert.equal(err.code, Cls.name);
    assert.equal(err.type, err.status >= 500 ? 'Receiver' : 'Sender');
    assert.ok(section.includes(`\`${Cls.name}\` | ${err.status}`), `${Cls.name} (${err.status}) is listed in the IAM and STS section of docs/errors.md`);
  }
});

test('every CloudWatch wire error has its class name as code and is documented', () => {
  const section = docs.slice(docs.indexOf('## CloudWatch'));
  for (const Cls of CLOUDWATCH_ERRORS) {
    const err = new Cls('m');
    assert.equal(err.code, Cls.name);
    assert.equal(err.type, err.status >= 500 ? 'Receiver' : 'Sender');
    assert.ok(section.includes(`\`${Cls.name}\` | ${err.status}`), `${Cls.name} (${err.status}) is listed in the CloudWatch section of docs/errors.md`);
  }
});

test('throttles carry Reason and Retry-After', () => {
  const err = new TooManyRequestsException('Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded', 2);
  assert.deepEqual(err.extraBody(), { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  assert.deepEqual(err.extraHeaders(), { 'Retry-After': '2' });
});
