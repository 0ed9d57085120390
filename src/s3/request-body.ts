import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { chunkChainOf } from '../auth/index.ts';
import { S3Errors } from '../errors/index.ts';
import { BodyTooLargeError, readBody } from '../gateway/index.ts';
import type { BodyStore, StagedBody } from '../storage/index.ts';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import {
  checksumHeader,
  createDigest,
  isValidChecksumValue,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type Digest,
} from './checksums.ts';
import { H, PAYLOAD } from './headers.ts';

/** Algorithms in S3's model that Nimbus does not compute yet. */
const UNSUPPORTED_ALGORITHMS = ['sha512', 'md5', 'xxhash64', 'xxhash3', 'xxhash128'];
const STREAMING = new Set<string>([
  PAYLOAD.streamingUnsignedTrailer,
  PAYLOAD.streamingSigned,
  PAYLOAD.streamingSignedTrailer,
  PAYLOAD.streamingEcdsa,
  PAYLOAD.streamingEcdsaTrailer,
]);

export interface ClientChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Sent as a header; undefined when it comes as an aws-chunked trailer. */
  readonly value?: string;
}

/** How the body travels and what the client claims about it, read from the headers alone. */
export interface BodyPlan {
  readonly chunked: boolean;
  /** Bytes of payload (decoded length for aws-chunked). */
  readonly length: number;
  /** Hex SHA-256 the client signed, when it sent a real one. */
  readonly sha256?: string;
  readonly md5?: Buffer;
  readonly checksum?: ClientChecksum;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Content-Encoding as stored: without the aws-chunked transfer framing. */
export function storedContentEncoding(req: IncomingMessage): string | undefined {
  const v = header(req, H.contentEncoding);
  if (v === undefined) return undefined;
  const rest = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  return rest.length ? rest.join(',') : undefined;
}

/** The x-amz-checksum-* value the client sends as a header or announces as a trailer. */
export function clientChecksum(req: IncomingMessage, chunked: boolean): ClientChecksum | undefined {
  const found: ClientChecksum[] = [];
  for (const [name, raw] of Object.entries(req.headers)) {
    if (!name.startsWith(H.checksumPrefix) || name === H.checksumAlgorithm || name === H.checksumType || name === H.checksumMode) continue;
    const suffix = name.slice(H.checksumPrefix.length);
    if (UNSUPPORTED_ALGORITHMS.includes(suffix)) throw new S3Errors.NotImplemented(`Checksum algorithm ${suffix.toUpperCase()} is not implemented`);
    const algorithm = parseChecksumAlgorithm(suffix);
    if (!algorithm) continue;
    const value = String(Array.isArray(raw) ? raw[0] : raw);
    if (!isValidChecksumValue(algorithm, value)) throw new S3Errors.InvalidRequest(`Value for ${name} header is invalid.`);
    found.push({ algorithm, value });
  }
  const trailer = header(req, H.trailer)?.trim().toLowerCase();
  if (trailer) {
    if (!chunked) throw new S3Errors.InvalidRequest('The x-amz-trailer header is only supported with aws-chunked content encoding.');
    const suffix = trailer.startsWith(H.checksumPrefix) ? trailer.slice(H.checksumPrefix.length) : '';
    if (UNSUPPORTED_ALGORITHMS.includes(suffix)) throw new S3Errors.NotImplemented(`Checksum algorithm ${suffix.toUpperCase()} is not implemented`);
    const algorithm = parseChecksumAlgorithm(suffix);
    if (!algorithm) throw new S3Errors.InvalidRequest(`The value specified in the x-amz-trailer header is not supported`);
    // A client may announce the trailer and still send the value as a header (Java SDK): the header wins.
    if (!found.some((c) => c.algorithm === algorithm)) found.push({ algorithm });
  }
  if (found.length > 1) throw new S3Errors.InvalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const sdk = header(req, H.sdkChecksumAlgorithm);
  if (sdk !== undefined) {
    const algorithm = parseChecksumAlgorithm(sdk);
    if (!algorithm) {
      if (UNSUPPORTED_ALGORITHMS.includes(sdk.toLowerCase())) throw new S3Errors.NotImplemented(`Checksum algorithm ${sdk} is not implemented`);
      throw new S3Errors.InvalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.');
    }
    if (found.length === 0) {
      throw new S3Errors.InvalidRequest('x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
    }
    if (found[0]!.algorithm !== algorithm) throw new S3Errors.InvalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
  return found[0];
}

function contentMd5(req: IncomingMessage): Buffer | undefined {
  const v = header(req, H.contentMd5);
  if (v === undefined) return undefined;
  const raw = Buffer.from(v, 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== v.trim()) throw new S3Errors.InvalidDigest(undefined, { 'Content-MD5': v });
  return raw;
}

/** Reads and checks the headers describing an upload body, before any byte of it is read. */
export function planBody(req: IncomingMessage, maxBytes: number): BodyPlan {
  const sha = header(req, H.contentSha256);
  const encoding = header(req, H.contentEncoding) ?? '';
  const chunked = (sha !== undefined && STREAMING.has(sha)) || /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding);
  if (sha !== undefined && sha !== PAYLOAD.unsigned && !STREAMING.has(sha) && !/^[0-9a-fA-F]{64}$/.test(sha)) {
    throw new S3Errors.InvalidArgument('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', {
      ArgumentName: H.contentSha256,
      ArgumentValue: sha,
    });
  }
  const lengthText = chunked ? header(req, H.decodedContentLength) : header(req, H.contentLength);
  if (lengthText === undefined) throw new S3Errors.MissingContentLength();
  const length = Number(lengthText);
  if (!/^\d+$/.test(lengthText) || !Number.isSafeInteger(length)) {
    throw new S3Errors.InvalidArgument(`Invalid ${chunked ? H.decodedContentLength : H.contentLength}`, { ArgumentName: chunked ? H.decodedContentLength : H.contentLength, ArgumentValue: lengthText });
  }
  if (length > maxBytes) throw new S3Errors.EntityTooLarge(undefined, { ProposedSize: length, MaxSizeAllowed: maxBytes });
  const checksum = clientChecksum(req, chunked);
  const md5 = contentMd5(req);
  return {
    chunked,
    length,
    ...(sha && /^[0-9a-fA-F]{64}$/.test(sha) ? { sha256: sha.toLowerCase() } : {}),
    ...(md5 ? { md5 } : {}),
    ...(checksum ? { checksum } : {}),
  };
}

export interface IngestedBody {
  readonly staged: StagedBody;
  readonly size: number;
  readonly md5Hex: string;
  /** The verified checksum with the algorithm the caller asked for (or the client sent). */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
}

/**
 * Streams a request body to a staged file while computing MD5 (the ETag), the client's
 * checksum and the one the caller wants stored, then verifies every claim: length,
 * x-amz-content-sha256, Content-MD5, x-amz-checksum-* (header or trailer). A failure
 * discards the file. The request is never destroyed here, so the error can still be sent.
 */
export async function ingestBody(
  req: IncomingMessage,
  bodies: BodyStore,
  plan: BodyPlan,
  options: { readonly maxBytes: number; readonly algorithm?: ChecksumAlgorithm },
): Promise<IngestedBody> {
  const md5 = createHash('md5');
  const sha256 = plan.sha256 ? createHash('sha256') : undefined;
  const algorithm = options.algorithm ?? plan.checksum?.algorithm;
  const digests = new Map<ChecksumAlgorithm, Digest>();
  if (algorithm) digests.set(algorithm, createDigest(algorithm));
  if (plan.checksum && !digests.has(plan.checksum.algorithm)) digests.set(plan.checksum.algorithm, createDigest(plan.checksum.algorithm));
  let size = 0;

  // For aws-chunked, x-amz-content-sha256 names the framing; for a plain body it hashes the bytes received.
  const bridge = bridgeRequest(req);
  const decoder = plan.chunked ? new AwsChunkedDecoder(chunkChainOf(req)) : undefined;
  const source = decoder ? bridge.stream.pipe(decoder) : bridge.stream;
  if (decoder) bridge.stream.on('error', (err) => decoder.destroy(err));

  let staged: StagedBody;
  try {
    staged = await bodies.stage(source, (chunk) => {
      size += chunk.length;
      if (size > options.maxBytes) throw new S3Errors.EntityTooLarge(undefined, { ProposedSize: size, MaxSizeAllowed: options.maxBytes });
      if (size > plan.length) throw new S3Errors.IncompleteBody('The request body is longer than the declared length');
      md5.update(chunk);
      sha256?.update(chunk);
      for (const d of digests.values()) d.update(chunk);
    });
  } finally {
    bridge.release();
  }
  try {
    if (size !== plan.length) throw new S3Errors.IncompleteBody();
    const md5Raw = md5.digest();
    if (sha256) {
      const computed = sha256.digest('hex');
      if (computed !== plan.sha256) {
        throw new S3Errors.XAmzContentSHA256Mismatch(undefined, { ClientComputedContentSHA256: plan.sha256!, S3ComputedContentSHA256: computed });
      }
    }
    if (plan.md5 && !plan.md5.equals(md5Raw)) {
      throw new S3Errors.BadDigest(undefined, { ExpectedDigest: plan.md5.toString('base64'), CalculatedDigest: md5Raw.toString('base64') });
    }
    const values = new Map<ChecksumAlgorithm, string>();
    for (const [alg, d] of digests) values.set(alg, d.digest().toString('base64'));
    if (plan.checksum) {
      const { algorithm: alg } = plan.checksum;
      let expected = plan.checksum.value;
      if (expected === undefined) {
        const name = checksumHeader(alg);
        expected = decoder?.trailers.get(name);
        if (expected === undefined || [...decoder!.trailers.keys()].some((k) => k.startsWith(H.checksumPrefix) && k !== name)) {
          throw new S3Errors.MalformedTrailerError();
        }
        if (!isValidChecksumValue(alg, expected)) throw new S3Errors.InvalidRequest(`Value for ${name} trailing header is invalid.`);
      }
      if (values.get(alg) !== expected) throw new S3Errors.BadDigest(`The ${alg} you specified did not match the calculated checksum.`);
    }
    return {
      staged,
      size,
      md5Hex: md5Raw.toString('hex'),
      ...(algorithm ? { checksum: { algorithm, value: values.get(algorithm)! } } : {}),
    };
  } catch (err) {
    await staged.discard();
    throw err;
  }
}

/**
 * Reads a small request document (CreateBucket, DeleteObjects, CompleteMultipartUpload)
 * and verifies the same claims as an upload: x-amz-content-sha256, Content-MD5, x-amz-checksum-*.
 */
export async function readVerifiedBody(
  req: IncomingMessage,
  limit: number,
  options: { readonly requireIntegrity?: boolean; readonly checksumHeaders?: boolean } = {},
): Promise<Buffer> {
  const sha = header(req, H.contentSha256);
  const md5 = contentMd5(req);
  const checksum = options.checksumHeaders === false ? undefined : clientChecksum(req, false);
  if (options.requireIntegrity && !md5 && !checksum) throw new S3Errors.InvalidRequest('Missing required header for this request: Content-MD5');
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new S3Errors.MalformedXML();
    throw err;
  }
  if (sha && /^[0-9a-fA-F]{64}$/.test(sha)) {
    const computed = createHash('sha256').update(body).digest('hex');
    if (computed !== sha.toLowerCase()) throw new S3Errors.XAmzContentSHA256Mismatch(undefined, { ClientComputedContentSHA256: sha, S3ComputedContentSHA256: computed });
  }
  if (md5 && !md5.equals(createHash('md5').update(body).digest())) throw new S3Errors.BadDigest();
  if (checksum?.value !== undefined) {
    const d = createDigest(checksum.algorithm);
    d.update(body);
    if (d.digest().toString('base64') !== checksum.value) throw new S3Errors.BadDigest(`The ${checksum.algorithm} you specified did not match the calculated checksum.`);
  }
  return body;
}

/**
 * The request as a stream we can walk away from: a failed upload must not destroy the
 * request (that would reset the socket before the error is sent), so on release the
 * listeners come off and whatever the client still sends is drained.
 */
function bridgeRequest(req: IncomingMessage): { stream: PassThrough; release(): void } {
  const stream = new PassThrough({ highWaterMark: 256 * 1024 });
  const onData = (chunk: Buffer) => {
    if (!stream.write(chunk)) req.pause();
  };
  const onDrain = () => req.resume();
  const onEnd = () => stream.end();
  const onClose = () => {
    if (!req.complete) stream.destroy(new Error('the client closed the connection before the body ended'));
  };
  const onError = (err: Error) => stream.destroy(err);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.on('error', onError);
  stream.on('drain', onDrain);
  req.resume();
  return {
    stream,
    release() {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      stream.off('drain', onDrain);
      if (!req.complete) req.resume();
    },
  };
}
