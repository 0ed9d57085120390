import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import * as LambdaErrors from '../errors/lambda-errors.ts';
import * as S3Errors from '../errors/s3-errors.ts';
import { Authenticator } from './authenticator.ts';
import { RootCredentialLookup } from './root-credentials.ts';
import { Sha256 } from './sigv4.ts';
import type { Principal, SigningCredential } from './types.ts';

const ROOT: Principal = { type: 'Root', accountId: '123456789012', arn: 'arn:aws:iam::123456789012:root', userId: '123456789012', name: 'root' };
const ROLE: Principal = { type: 'AssumedRole', accountId: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/r/fn', userId: 'AROAEXAMPLE:fn', name: 'r', roleArn: 'arn:aws:iam::123456789012:role/r' };
const KEYS = { accessKeyId: 'AKIAROOTROOTROOTROOT', secretAccessKey: 'root-secret' };
const NOW = Date.UTC(2024, 0, 1, 12);
const session: SigningCredential = { accessKeyId: 'ASIASESSIONSESSION00', secretAccessKey: 'session-secret', sessionToken: 'token-1', expiresAt: NOW + 3600_000, principal: ROLE };

function authenticator(now = NOW, mode: 'on' | 'off' = 'on') {
  return new Authenticator({
    mode,
    lookups: [new RootCredentialLookup(KEYS, ROOT), { find: (id) => (id === session.accessKeyId ? session : undefined) }],
    clock: { now: () => now, setTimeout: () => () => {} },
    root: ROOT,
  });
}

/** A request as node would hand it to the server, signed by the SDK's signer. */
async function signed(body: string, opts: { keys?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; at?: number; service?: string } = {}): Promise<IncomingMessage> {
  const service = opts.service ?? 'lambda';
  const signer = new SignatureV4({ credentials: opts.keys ?? KEYS, region: 'us-east-1', service, sha256: Sha256, uriEscapePath: service !== 's3' });
  const out = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: 'localhost', path: '/2015-03-31/functions', query: {}, headers: { host: 'localhost:4566', 'content-type': 'application/json' }, body } as never,
    { signingDate: new Date(opts.at ?? NOW) },
  );
  return { method: 'POST', url: '/2015-03-31/functions', headers: (out as unknown as { headers: Record<string, string> }).headers } as unknown as IncomingMessage;
}

const read = (body: string) => () => Promise.resolve(Buffer.from(body));

test('a correctly signed request resolves with its body; principalOf names the key holder', async () => {
  const auth = authenticator();
  const req = await signed('{"a":1}');
  assert.equal((await auth.verifyRequest(req, 'rest-json', read('{"a":1}'))).toString(), '{"a":1}');
  assert.deepEqual(auth.principalOf(req), ROOT);
  assert.throws(() => auth.principalOf({ headers: {} } as IncomingMessage), /not authenticated/);
});

test('refusals in rest-json words', async () => {
  const auth = authenticator();
  const refuse = async (req: IncomingMessage, body: string, code: string, message?: RegExp) =>
    assert.rejects(auth.verifyRequest(req, 'rest-json', read(body)), (err: LambdaErrors.LambdaError) => {
      assert.equal(err.code, code);
      if (message) assert.match(err.message, message);
      return true;
    });
  await refuse({ method: 'GET', url: '/', headers: { host: 'h' } } as unknown as IncomingMessage, '', 'MissingAuthenticationTokenException', /^Missing Authentication Token$/);
  await refuse(await signed('{}'), '{"tampered":1}', 'InvalidSignatureException');
  await refuse(await signed('{}', { keys: { ...KEYS, secretAccessKey: 'wrong' } }), '{}', 'InvalidSignatureException');
  await refuse(await signed('{}', { keys: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' } }), '{}', 'UnrecognizedClientException');
  await refuse(await signed('{}', { at: NOW - 16 * 60_000 }), '{}', 'InvalidSignatureException', /^Signature expired: 20240101T114400Z is now earlier than 20240101T114500Z \(20240101T120000Z - 15 min\.\)$/);
  await refuse(await signed('{}', { at: NOW + 16 * 60_000 }), '{}', 'InvalidSignatureException', /^Signature not yet current: 20240101T121600Z is still later than 20240101T121500Z \(20240101T120000Z \+ 15 min\.\)$/);
  // Within 15 minutes either way is fine.
  await auth.verifyRequest(await signed('{}', { at: NOW - 14 * 60_000 }), 'rest-json', read('{}'));
});

test('temporary credentials need their token and stop at their expiry', async () => {
  const withToken = await signed('{}', { keys: session });
  await authenticator().verifyRequest(withToken, 'rest-json', read('{}'));
  assert.deepEqual(authenticator().principalOf(withToken), ROLE);
  await assert.rejects(authenticator().verifyRequest(await signed('{}', { keys: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey } }), 'rest-json', read('{}')), { name: 'Error', message: 'The security token included in the request is invalid.' });
  await assert.rejects(authenticator().verifyRequest(await signed('{}', { keys: { ...session, sessionToken: 'other' } }), 'rest-json', read('{}')), (e: LambdaErrors.LambdaError) => e.code === 'UnrecognizedClientException');
  const later = session.expiresAt! + 1;
  await assert.rejects(authenticator(later).verifyRequest(await signed('{}', { keys: session, at: later }), 'rest-json', read('{}')), (e: LambdaErrors.LambdaError) => e.code === 'ExpiredTokenException' && e.message === 'The security token included in the request is expired');
});

test('S3 words; auth off takes anything as root', async () => {
  await assert.rejects(authenticator().verifyS3({ method: 'GET', url: '/b', headers: { host: 'h' } } as unknown as IncomingMessage), (e: S3Errors.S3Error) => e.code === 'AccessDenied' && e.status === 403);
  const off = authenticator(NOW, 'off');
  const anonymous = { method: 'GET', url: '/', headers: {} } as unknown as IncomingMessage;
  assert.equal((await off.verifyRequest(anonymous, 'json', read('x'))).toString(), 'x');
  await off.verifyS3(anonymous);
  assert.deepEqual(off.principalOf(anonymous), ROOT);
});
