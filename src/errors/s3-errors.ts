/**
 * S3 wire errors: one class per S3 error code, named exactly after it. The S3 error
 * boundary renders them as the status and
 * <Error><Code/><Message/>...details...<Resource/><RequestId/><HostId/></Error>
 * (no body for HEAD). Codes, statuses and messages follow
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export abstract class S3Error extends Error {
  abstract readonly status: number;
  constructor(
    message: string,
    /** Extra members S3 puts in the <Error> document (BucketName, Key, UploadId, ...). */
    readonly details: Readonly<Record<string, string | number>> = {},
    /** Extra response headers (e.g. Content-Range on a 416). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
  get code(): string {
    return this.constructor.name;
  }
}

type Details = Readonly<Record<string, string | number>>;

/** Base class of one code: its status and S3's default message. */
function s3Error(status: number, defaultMessage: string) {
  abstract class Coded extends S3Error {
    readonly status = status;
    constructor(message: string = defaultMessage, details?: Details, headers?: Readonly<Record<string, string>>) {
      super(message, details, headers);
    }
  }
  return Coded;
}

export class BadDigest extends s3Error(400, 'The Content-MD5 you specified did not match what we received.') {}
export class BucketAlreadyOwnedByYou extends s3Error(409, 'Your previous request to create the named bucket succeeded and you already own it.') {}
export class BucketNotEmpty extends s3Error(409, 'The bucket you tried to delete is not empty') {}
export class EntityTooLarge extends s3Error(400, 'Your proposed upload exceeds the maximum allowed size') {}
export class EntityTooSmall extends s3Error(400, 'Your proposed upload is smaller than the minimum allowed object size.') {}
export class IllegalLocationConstraintException extends s3Error(400, 'The specified location-constraint is not valid for this endpoint.') {}
export class IncompleteBody extends s3Error(400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.') {}
export class InternalError extends s3Error(500, 'We encountered an internal error. Please try again.') {}
export class InvalidArgument extends s3Error(400, 'Invalid Argument') {}
export class InvalidBucketName extends s3Error(400, 'The specified bucket is not valid.') {}
export class InvalidDigest extends s3Error(400, 'The Content-MD5 you specified is not valid.') {}
export class InvalidLocationConstraint extends s3Error(400, 'The specified location-constraint is not valid') {}
export class InvalidPart extends s3Error(
  400,
  "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
) {}
export class InvalidPartOrder extends s3Error(400, 'The list of parts was not in ascending order. Parts must be ordered by part number.') {}
export class InvalidRange extends s3Error(416, 'The requested range is not satisfiable') {}
export class InvalidRequest extends s3Error(400, 'Invalid Request') {}
export class InvalidURI extends s3Error(400, "Couldn't parse the specified URI.") {}
export class KeyTooLongError extends s3Error(400, 'Your key is too long') {}
export class MalformedTrailerError extends s3Error(400, 'The request contained trailing data that was not well-formed or did not conform to our published schema.') {}
export class MalformedPolicy extends s3Error(400, 'Policies must be valid JSON and the first byte must be \'{\'') {}
export class MalformedXML extends s3Error(400, 'The XML you provided was not well-formed or did not validate against our published schema') {}
export class MetadataTooLarge extends s3Error(400, 'Your metadata headers exceed the maximum allowed metadata size.') {}
export class MethodNotAllowed extends s3Error(405, 'The specified method is not allowed against this resource.') {}
export class MissingContentLength extends s3Error(411, 'You must provide the Content-Length HTTP header.') {}
export class NoSuchBucket extends s3Error(404, 'The specified bucket does not exist') {}
export class NoSuchBucketPolicy extends s3Error(404, 'The bucket policy does not exist') {}
export class NoSuchKey extends s3Error(404, 'The specified key does not exist.') {}
export class NoSuchUpload extends s3Error(
  404,
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
) {}
export class NotImplemented extends s3Error(501, 'A header you provided implies functionality that is not implemented') {}
export class PreconditionFailed extends s3Error(412, 'At least one of the pre-conditions you specified did not hold') {}
export class XAmzContentSHA256Mismatch extends s3Error(400, "The provided 'x-amz-content-sha256' header does not match what was computed.") {}
// Authentication (SigV4).
export class AccessDenied extends s3Error(403, 'Access Denied') {}
export class AuthorizationHeaderMalformed extends s3Error(400, 'The authorization header is malformed.') {}
export class AuthorizationQueryParametersError extends s3Error(400, 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.') {}
export class ExpiredToken extends s3Error(400, 'The provided token has expired.') {}
export class InvalidAccessKeyId extends s3Error(403, 'The AWS Access Key Id you provided does not exist in our records.') {}
export class InvalidToken extends s3Error(400, 'The provided token is malformed or otherwise invalid.') {}
export class RequestTimeTooSkewed extends s3Error(403, 'The difference between the request time and the current time is too large.') {}
export class SignatureDoesNotMatch extends s3Error(403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.') {}

/** Every S3 wire error class; a test checks each code equals its name and is documented. */
export const S3_ERRORS = [
  BadDigest,
  BucketAlreadyOwnedByYou,
  BucketNotEmpty,
  EntityTooLarge,
  EntityTooSmall,
  IllegalLocationConstraintException,
  IncompleteBody,
  InternalError,
  InvalidArgument,
  InvalidBucketName,
  InvalidDigest,
  InvalidLocationConstraint,
  InvalidPart,
  InvalidPartOrder,
  InvalidRange,
  InvalidRequest,
  InvalidURI,
  KeyTooLongError,
  MalformedTrailerError,
  MalformedPolicy,
  MalformedXML,
  MetadataTooLarge,
  MethodNotAllowed,
  MissingContentLength,
  NoSuchBucket,
  NoSuchBucketPolicy,
  NoSuchKey,
  NoSuchUpload,
  NotImplemented,
  PreconditionFailed,
  XAmzContentSHA256Mismatch,
  AccessDenied,
  AuthorizationHeaderMalformed,
  AuthorizationQueryParametersError,
  ExpiredToken,
  InvalidAccessKeyId,
  InvalidToken,
  RequestTimeTooSkewed,
  SignatureDoesNotMatch,
] as const;
