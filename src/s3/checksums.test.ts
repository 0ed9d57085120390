import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CHECKSUM_ALGORITHMS, checksumOf, compositeChecksum, createDigest, isValidChecksumValue } from './checksums.ts';

const CHECK = Buffer.from('123456789');

test('CRCs match their catalogued check values', () => {
  assert.equal(checksumOf('CRC32', CHECK), Buffer.from('cbf43926', 'hex').toString('base64'));
  assert.equal(checksumOf('CRC32C', CHECK), Buffer.from('e3069283', 'hex').toString('base64'));
  assert.equal(checksumOf('CRC64NVME', CHECK), Buffer.from('ae8b14860a799888', 'hex').toString('base64'));
  assert.equal(checksumOf('CRC32', Buffer.from('hello\n')), 'NjowIA==');
  assert.equal(checksumOf('CRC64NVME', Buffer.alloc(0)), 'AAAAAAAAAAA=');
});

test('streaming in uneven chunks equals one shot, for every algorithm', () => {
  const data = randomBytes(100_003);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const d = createDigest(alg);
    for (let i = 0; i < data.length; ) {
      const n = 1 + ((i * 7919) % 4099);
      d.update(data.subarray(i, i + n));
      i += n;
    }
    assert.equal(d.digest().toString('base64'), checksumOf(alg, data), alg);
  }
});

test('composite checksum is the checksum of the raw part checksums plus -N', () => {
  const a = checksumOf('SHA256', Buffer.from('a'));
  const b = checksumOf('SHA256', Buffer.from('b'));
  const expected = checksumOf('SHA256', Buffer.concat([Buffer.from(a, 'base64'), Buffer.from(b, 'base64')]));
  assert.equal(compositeChecksum('SHA256', [a, b]), `${expected}-2`);
});

test('values are checked for base64 shape and length', () => {
  assert.ok(isValidChecksumValue('CRC32', 'NjowIA=='));
  assert.ok(!isValidChecksumValue('CRC32', 'NjowIA'));
  assert.ok(!isValidChecksumValue('CRC32', 'AAAAAAAAAAA='));
  assert.ok(!isValidChecksumValue('SHA1', 'not base64!'));
});

test('CRCs are table-driven fast, not bit-by-bit slow (best of 3, lenient for loaded machines)', () => {
  const data = randomBytes(8 * 1024 * 1024);
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    let best = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = process.hrtime.bigint();
      const d = createDigest(alg);
      d.update(data);
      d.digest();
      best = Math.max(best, data.length / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
    assert.ok(best > 40, `${alg}: ${best.toFixed(0)} MB/s`);
  }
});
