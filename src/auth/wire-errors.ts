/**
 * An AuthError in each protocol's words: the codes, statuses and messages AWS's front ends
 * answer for a refused signature. The error boundary of each service renders them as usual.
 */
import * as Lambda from '../errors/lambda-errors.ts';
import * as Json from '../errors/json-errors.ts';
import * as S3 from '../errors/s3-errors.ts';
import { longDateOf } from './sigv4.ts';
import type { AuthError } from './auth-error.ts';

/** rest-json (Lambda), JSON 1.0/1.1 (Logs, Secrets Manager...), S3's rest-xml, query (IAM, STS). */
export type WireProtocol = 'rest-json' | 'json' | 's3' | 'query';

export const MESSAGES = {
  missing: 'Missing Authentication Token',
  signature: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  unknownKey: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
} as const;

/** Query-protocol (IAM, STS) errors: the service's boundary renders anything with status and code. */
export class QueryAuthError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  get type(): 'Sender' {
    return 'Sender';
  }
}

const FIFTEEN_MIN = 15 * 60_000;

function skewMessage(err: AuthError): string {
  const { signedAt, now } = err.times!;
  return signedAt < now
    ? `Signature expired: ${longDateOf(signedAt)} is now earlier than ${longDateOf(now - FIFTEEN_MIN)} (${longDateOf(now)} - 15 min.)`
    : `Signature not yet current: ${longDateOf(signedAt)} is still later than ${longDateOf(now + FIFTEEN_MIN)} (${longDateOf(now)} + 15 min.)`;
}

/** The wire error a protocol answers for err. */
export function wireError(err: AuthError, protocol: WireProtocol): Error {
  switch (protocol) {
    case 's3':
      return s3Error(err);
    case 'rest-json':
      return jsonFamily(err, Lambda);
    case 'json':
      return jsonFamily(err, Json);
    case 'query':
      return queryError(err);
  }
}

type Family = {
  MissingAuthenticationTokenException: new (m: string) => Error;
  IncompleteSignatureException: new (m: string) => Error;
  InvalidSignatureException: new (m: string) => Error;
  UnrecognizedClientException: new (m: string) => Error;
  ExpiredTokenException: new (m: string) => Error;
};

function jsonFamily(err: AuthError, f: Family): Error {
  switch (err.reason) {
    case 'missing':
      return new f.MissingAuthenticationTokenException(MESSAGES.missing);
    case 'malformed':
    case 'missing-content-sha256':
    case 'unsigned-headers':
      return new f.IncompleteSignatureException(err.message);
    case 'unknown-key':
    case 'invalid-token':
      return new f.UnrecognizedClientException(MESSAGES.unknownKey);
    case 'expired-token':
      return new f.ExpiredTokenException(MESSAGES.expiredToken);
    case 'skewed':
      return new f.InvalidSignatureException(skewMessage(err));
    case 'presign-expired':
    case 'presign-early':
      return new f.InvalidSignatureException(err.message);
    case 'signature':
      return new f.InvalidSignatureException(MESSAGES.signature);
  }
}

function s3Error(err: AuthError): Error {
  switch (err.reason) {
    case 'missing':
      return new S3.AccessDenied();
    case 'malformed':
      return err.part === 'query' ? new S3.AuthorizationQueryParametersError(err.message) : new S3.AuthorizationHeaderMalformed(err.message);
    case 'missing-content-sha256':
      return new S3.InvalidRequest('Missing required header for this request: x-amz-content-sha256');
    case 'unsigned-headers':
      return new S3.AccessDenied('There were headers present in the request which were not signed', { HeadersNotSigned: (err.unsigned ?? []).join(', ') });
    case 'unknown-key':
      return new S3.InvalidAccessKeyId();
    case 'invalid-token':
      return new S3.InvalidToken();
    case 'expired-token':
      return new S3.ExpiredToken();
    case 'skewed':
      return new S3.RequestTimeTooSkewed(undefined, { RequestTime: longDateOf(err.times!.signedAt), ServerTime: new Date(err.times!.now).toISOString(), MaxAllowedSkewMilliseconds: FIFTEEN_MIN });
    case 'presign-expired':
      return new S3.AccessDenied('Request has expired');
    case 'presign-early':
      return new S3.AccessDenied('Request is not valid yet');
    case 'signature':
      return new S3.SignatureDoesNotMatch();
  }
}

/** IAM/STS common errors: https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html */
function queryError(err: AuthError): Error {
  switch (err.reason) {
    case 'missing':
      return new QueryAuthError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
    case 'malformed':
    case 'missing-content-sha256':
    case 'unsigned-headers':
      return new QueryAuthError('IncompleteSignature', 400, err.message);
    case 'unknown-key':
    case 'invalid-token':
      return new QueryAuthError('InvalidClientTokenId', 403, MESSAGES.unknownKey);
    case 'expired-token':
      return new QueryAuthError('ExpiredToken', 403, MESSAGES.expiredToken);
    case 'skewed':
      return new QueryAuthError('SignatureDoesNotMatch', 403, skewMessage(err));
    case 'presign-expired':
    case 'presign-early':
      return new QueryAuthError('SignatureDoesNotMatch', 403, err.message);
    case 'signature':
      return new QueryAuthError('SignatureDoesNotMatch', 403, MESSAGES.signature);
  }
}
