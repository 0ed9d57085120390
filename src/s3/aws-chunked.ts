import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ChunkSignatureChain } from '../auth/index.ts';
import { S3Errors } from '../errors/index.ts';

/**
 * Decodes an `Content-Encoding: aws-chunked` body, the framing the SDKs use for streamed
 * uploads with flexible checksums:
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
 *   [<trailer name>:<value>\r\n ...]\r\n
 *
 * Unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER) and signed (STREAMING-AWS4-HMAC-SHA256-
 * PAYLOAD[-TRAILER]) chunks share this shape. Given the request's chunk-signature chain
 * (src/auth, once the seed signature is verified), each chunk's signature is checked as its
 * last byte arrives, and the trailer's (x-amz-trailer-signature) at the end: a mismatch is
 * SignatureDoesNotMatch, and the upload is discarded.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
const MAX_LINE = 4096;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CR = 0x0d;
const LF = 0x0a;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailer headers, names lower-cased; complete once the stream ends. */
  readonly trailers = new Map<string, string>();
  /** chunk-signature of each chunk, in order (for a later SigV4 check). */
  readonly signatures: string[] = [];
  #state: State = 'size';
  #line: Buffer[] = [];
  #lineLength = 0;
  #remaining = 0;
  /** Bytes of the CRLF after a chunk's data still expected. */
  #crlf = 0;
  /** Trailer lines in the order sent, for the trailer signature. */
  readonly #trailerLines: Array<[string, string]> = [];
  #chunkSignature: string | undefined;
  #chunkHash: Hash | undefined;

  constructor(private readonly chain?: ChunkSignatureChain) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // Some clients end right after the last trailer line, without the closing CRLF.
    if (this.#state === 'trailer' && this.#lineLength === 0) {
      try {
        this.#finish();
      } catch (err) {
        callback(err as Error);
        return;
      }
    }
    if (this.#state !== 'done') {
      callback(new S3Errors.IncompleteBody('The request body terminated unexpectedly'));
      return;
    }
    callback();
  }

  #verifyChunk(sha256Hex: string): void {
    if (this.chain && !this.chain.chunk(this.#chunkSignature, sha256Hex)) throw new S3Errors.SignatureDoesNotMatch();
  }

  /** End of the trailer section: a signed trailer must carry a valid x-amz-trailer-signature. */
  #finish(): void {
    this.#state = 'done';
    if (!this.chain || this.#trailerLines.length === 0) return;
    const signature = this.trailers.get('x-amz-trailer-signature');
    const signed = this.#trailerLines.filter(([k]) => k !== 'x-amz-trailer-signature');
    if (!this.chain.trailer(signature, signed)) throw new S3Errors.SignatureDoesNotMatch();
  }

  #consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.#state) {
        case 'data': {
          const n = Math.min(this.#remaining, buf.length - i);
          const data = buf.subarray(i, i + n);
          this.#chunkHash?.update(data);
          this.push(data);
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) {
            if (this.#chunkHash) this.#verifyChunk(this.#chunkHash.digest('hex'));
            this.#state = 'data-end';
            this.#crlf = 2;
          }
          break;
        }
        case 'data-end': {
          const expected = this.#crlf === 2 ? CR : LF;
          if (buf[i] !== expected) throw new S3Errors.IncompleteBody('aws-chunked data is not followed by CRLF');
          i++;
          if (--this.#crlf === 0) this.#state = 'size';
          break;
        }
        case 'size':
        case 'trailer': {
          const lf = buf.indexOf(LF, i);
          const end = lf === -1 ? buf.length : lf + 1;
          this.#lineLength += end - i;
          if (this.#lineLength > MAX_LINE) throw new S3Errors.IncompleteBody('aws-chunked header line too long');
          this.#line.push(buf.subarray(i, end));
          i = end;
          if (lf !== -1) this.#onLine();
          break;
        }
        case 'done':
          throw new S3Errors.IncompleteBody('data after the end of the aws-chunked body');
      }
    }
  }

  #onLine(): void {
    let line = Buffer.concat(this.#line, this.#lineLength).toString('latin1');
    this.#line = [];
    this.#lineLength = 0;
    line = line.endsWith('\r\n') ? line.slice(0, -2) : line.slice(0, -1);
    if (this.#state === 'size') {
      const [sizeText = '', ...extensions] = line.split(';');
      if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new S3Errors.IncompleteBody('malformed aws-chunked chunk size');
      this.#chunkSignature = undefined;
      for (const ext of extensions) {
        const eq = ext.indexOf('=');
        if (eq !== -1 && ext.slice(0, eq).trim() === 'chunk-signature') {
          this.#chunkSignature = ext.slice(eq + 1).trim();
          this.signatures.push(this.#chunkSignature);
        }
      }
      const size = parseInt(sizeText, 16);
      if (!Number.isSafeInteger(size)) throw new S3Errors.IncompleteBody('aws-chunked chunk size out of range');
      if (size === 0) {
        this.#verifyChunk(EMPTY_SHA256);
        this.#state = 'trailer';
      } else {
        if (this.chain) this.#chunkHash = createHash('sha256');
        this.#remaining = size;
        this.#state = 'data';
      }
      return;
    }
    // Trailer section: header lines until an empty line.
    if (line === '') {
      this.#finish();
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new S3Errors.MalformedTrailerError();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    this.trailers.set(name, value);
    this.#trailerLines.push([name, value]);
  }
}
