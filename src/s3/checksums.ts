import { createHash, type Hash } from 'node:crypto';

/**
 * The additional checksums S3 stores and verifies (x-amz-checksum-*), and the CRCs behind
 * them. Node 20 has no zlib.crc32, so the CRCs are table-driven here (slice-by-8: eight
 * bytes per step, which keeps a 100 MB upload well under a second of CPU).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

export interface Digest {
  update(chunk: Buffer): void;
  /** The raw checksum bytes, big-endian for CRCs. */
  digest(): Buffer;
}

/** Decoded length of each algorithm's value, to reject a malformed header before reading the body. */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** x-amz-checksum-crc32 ... the header (and trailer) name of an algorithm's value. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** ChecksumCRC32 ... the XML member name of an algorithm's value. */
export function checksumMember(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithm}`;
}

/** A well-formed base64 value of the algorithm's length. */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const raw = Buffer.from(value, 'base64');
  return raw.length === CHECKSUM_BYTES[algorithm] && raw.toString('base64') === value;
}

export function createDigest(algorithm: ChecksumAlgorithm): Digest {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Digest(CRC32_TABLES);
    case 'CRC32C':
      return new Crc32Digest(CRC32C_TABLES);
    case 'CRC64NVME':
      return new Crc64Digest();
    case 'SHA1':
      return new HashDigest(createHash('sha1'));
    case 'SHA256':
      return new HashDigest(createHash('sha256'));
  }
}

/** One shot, for small bodies and the checksum of concatenated part checksums. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const d = createDigest(algorithm);
  d.update(data);
  return d.digest().toString('base64');
}

/**
 * S3's COMPOSITE multipart checksum: the checksum of the concatenated raw part
 * checksums, then "-" and the part count.
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: readonly string[]): string {
  const raw = Buffer.concat(partValues.map((v) => Buffer.from(v, 'base64')));
  return `${checksumOf(algorithm, raw)}-${partValues.length}`;
}

class HashDigest implements Digest {
  constructor(private readonly hash: Hash) {}
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

/** Eight tables of 256 entries: table k gives the CRC of byte i followed by k zero bytes. */
function crc32Tables(poly: number): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const cur = tables[k]!;
    for (let i = 0; i < 256; i++) cur[i] = (prev[i]! >>> 8) ^ t0[prev[i]! & 0xff]!;
  }
  return tables;
}

const CRC32_TABLES = crc32Tables(0xedb88320);
const CRC32C_TABLES = crc32Tables(0x82f63b78);

class Crc32Digest implements Digest {
  #crc = 0xffffffff;
  constructor(private readonly t: Uint32Array[]) {}

  update(buf: Buffer): void {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = this.t as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    let crc = this.#crc;
    let i = 0;
    const n = buf.length;
    const end8 = n - (n % 8);
    while (i < end8) {
      const lo = (crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      const hi = (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24)) >>> 0;
      crc =
        t7[lo & 0xff]! ^
        t6[(lo >>> 8) & 0xff]! ^
        t5[(lo >>> 16) & 0xff]! ^
        t4[lo >>> 24]! ^
        t3[hi & 0xff]! ^
        t2[(hi >>> 8) & 0xff]! ^
        t1[(hi >>> 16) & 0xff]! ^
        t0[hi >>> 24]!;
      i += 8;
    }
    for (; i < n; i++) crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc >>> 0;
  }

  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.#crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

/** CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), held as two 32-bit halves. */
const CRC64_TABLES = (() => {
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  const hi = Array.from({ length: 8 }, () => new Uint32Array(256));
  const lo = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let h = 0;
    let l = i;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[0]![i] = h;
    lo[0]![i] = l;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const ph = hi[k - 1]![i]!;
      const pl = lo[k - 1]![i]!;
      const idx = pl & 0xff;
      hi[k]![i] = ((ph >>> 8) ^ hi[0]![idx]!) >>> 0;
      lo[k]![i] = (((pl >>> 8) | (ph << 24)) ^ lo[0]![idx]!) >>> 0;
    }
  }
  return { hi, lo };
})();

class Crc64Digest implements Digest {
  #hi = 0xffffffff;
  #lo = 0xffffffff;

  update(buf: Buffer): void {
    const H = CRC64_TABLES.hi as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const L = CRC64_TABLES.lo as typeof H;
    let h = this.#hi;
    let l = this.#lo;
    let i = 0;
    const n = buf.length;
    const end8 = n - (n % 8);
    while (i < end8) {
      const a = (l ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      const b = (h ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24))) >>> 0;
      const i0 = a & 0xff, i1 = (a >>> 8) & 0xff, i2 = (a >>> 16) & 0xff, i3 = a >>> 24;
      const i4 = b & 0xff, i5 = (b >>> 8) & 0xff, i6 = (b >>> 16) & 0xff, i7 = b >>> 24;
      h = H[7][i0]! ^ H[6][i1]! ^ H[5][i2]! ^ H[4][i3]! ^ H[3][i4]! ^ H[2][i5]! ^ H[1][i6]! ^ H[0][i7]!;
      l = L[7][i0]! ^ L[6][i1]! ^ L[5][i2]! ^ L[4][i3]! ^ L[3][i4]! ^ L[2][i5]! ^ L[1][i6]! ^ L[0][i7]!;
      i += 8;
    }
    for (; i < n; i++) {
      const idx = (l ^ buf[i]!) & 0xff;
      l = (((l >>> 8) | (h << 24)) ^ L[0][idx]!) >>> 0;
      h = ((h >>> 8) ^ H[0][idx]!) >>> 0;
    }
    this.#hi = h >>> 0;
    this.#lo = l >>> 0;
  }

  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.#hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.#lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}
