/** The runtime pipe's frames (runtime-ipc.ts): split anywhere, oversized, or not frames at all. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RESPONSE_PAYLOAD_BYTES } from './runtime-api.ts';
import { encodeFrame, FrameReader, type RuntimeMessage } from './runtime-ipc.ts';

function reader() {
  const messages: RuntimeMessage[] = [];
  const violations: string[] = [];
  const r = new FrameReader((m) => messages.push(m), (why) => violations.push(why));
  return { r, messages, violations };
}

describe('FrameReader', () => {
  it('reads frames however the bytes are split', () => {
    const bytes = Buffer.concat([
      encodeFrame({ t: 'next' }),
      encodeFrame({ t: 'response', id: 'a', rss: 1024 }, Buffer.from('{"x":1}')),
      encodeFrame({ t: 'error', id: 'b', errorType: 'Boom' }, Buffer.from('{}')),
    ]);
    for (const step of [1, 3, 7, bytes.length]) {
      const { r, messages, violations } = reader();
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
      assert.deepEqual(violations, []);
      assert.deepEqual(
        messages.map((m) => [m.t, 'id' in m ? m.id : null, 'payload' in m ? (m.payload?.toString() ?? null) : null]),
        [
          ['next', null, null],
          ['response', 'a', '{"x":1}'],
          ['error', 'b', '{}'],
        ],
        `split every ${step} bytes`,
      );
      assert.equal((messages[1] as { rss?: number }).rss, 1024);
    }
  });

  it('counts an answer over the response limit without keeping it, then reads on', () => {
    const { r, messages, violations } = reader();
    const size = MAX_RESPONSE_PAYLOAD_BYTES + 100;
    const frame = encodeFrame({ t: 'response', id: 'big' }, Buffer.alloc(size, 0x61));
    for (let i = 0; i < frame.length; i += 65536) r.push(frame.subarray(i, i + 65536));
    r.push(encodeFrame({ t: 'response', id: 'small' }, Buffer.from('1')));
    assert.deepEqual(violations, []);
    assert.deepEqual(
      messages.map((m) => [m.t, 'id' in m ? m.id : null, 'payload' in m && m.payload === null, 'size' in m ? m.size : null]),
      [
        ['response', 'big', true, size],
        ['response', 'small', false, 1],
      ],
    );
  });

  it('gives up on bytes that are not frames, once', () => {
    for (const garbage of [
      Buffer.from('\xff\xff\xff\xffnot a frame', 'latin1'),
      Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from('{{{')]),
      encodeFrame({ nope: true }),
      encodeFrame({ t: 'launch-missiles' }),
    ]) {
      const { r, messages, violations } = reader();
      r.push(garbage);
      r.push(encodeFrame({ t: 'next' }));
      assert.equal(violations.length, 1, garbage.toString('latin1'));
      assert.deepEqual(messages, [], 'nothing is read after a violation');
    }
  });
});
