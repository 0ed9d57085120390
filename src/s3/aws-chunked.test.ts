import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked.ts';

async function decode(parts: (string | Buffer)[]): Promise<{ body: Buffer; decoder: AwsChunkedDecoder }> {
  const decoder = new AwsChunkedDecoder();
  const chunks: Buffer[] = [];
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))).pipe(decoder);
  for await (const c of decoder) chunks.push(c as Buffer);
  return { body: Buffer.concat(chunks), decoder };
}

test('unsigned chunks with a trailer, fed one byte at a time', async () => {
  const wire = '5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n';
  const { body, decoder } = await decode([...wire]);
  assert.equal(body.toString(), 'hello world');
  assert.equal(decoder.trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
});

test('signed chunks, with and without a trailer', async () => {
  const sig = 'a'.repeat(64);
  const plain = await decode([`3;chunk-signature=${sig}\r\nabc\r\n0;chunk-signature=${sig}\r\n\r\n`]);
  assert.equal(plain.body.toString(), 'abc');
  assert.deepEqual(plain.decoder.signatures, [sig, sig]);
  const trailed = await decode([`3;chunk-signature=${sig}\r\nabc\r\n0;chunk-signature=${sig}\r\nx-amz-checksum-sha256:xyz\r\nx-amz-trailer-signature:${sig}\r\n\r\n`]);
  assert.equal(trailed.decoder.trailers.get('x-amz-checksum-sha256'), 'xyz');
});

test('a body ending after the last trailer line without the final CRLF is accepted', async () => {
  const { decoder } = await decode(['1\r\nx\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n']);
  assert.equal(decoder.trailers.get('x-amz-checksum-crc32'), 'AAAAAA==');
});

test('truncated or malformed framing is IncompleteBody', async () => {
  await assert.rejects(decode(['5\r\nhel']), { name: 'IncompleteBody' });
  await assert.rejects(decode(['zz\r\nhello\r\n0\r\n\r\n']), { name: 'IncompleteBody' });
  await assert.rejects(decode(['5\r\nhelloXX0\r\n\r\n']), { name: 'IncompleteBody' });
  await assert.rejects(decode(['0\r\nno-colon-here\r\n\r\n']), { name: 'MalformedTrailerError' });
});
