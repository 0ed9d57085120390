/**
 * Why a request was refused, as a stable reason; wire-errors.ts turns it into each
 * protocol's code (Lambda/JSON InvalidSignatureException, S3 SignatureDoesNotMatch, ...).
 *
 * | reason | meaning |
 * |---|---|
 * | missing | no Authorization header and no presigned query (anonymous) |
 * | malformed | an Authorization header or presigned query that is incomplete or not SigV4 |
 * | unknown-key | no credential with that access key id, or an inactive one |
 * | signature | the signature does not match (wrong secret, tampered request or body) |
 * | skewed | X-Amz-Date more than 15 minutes from the server's clock |
 * | expired-token | temporary credentials past their expiry |
 * | invalid-token | temporary credentials without their session token, or with another |
 * | presign-expired | a presigned URL past X-Amz-Date + X-Amz-Expires |
 * | presign-early | a presigned URL dated more than 15 minutes ahead |
 * | missing-content-sha256 | an S3 request signed in the header without x-amz-content-sha256 |
 * | unsigned-headers | Host, or an x-amz-* header that changes the request, is not among the signed headers |
 */
export type AuthReason =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'signature'
  | 'skewed'
  | 'expired-token'
  | 'invalid-token'
  | 'presign-expired'
  | 'presign-early'
  | 'missing-content-sha256'
  | 'unsigned-headers';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly reason: AuthReason,
    message = '',
    /** For malformed: where (S3 answers AuthorizationHeaderMalformed or AuthorizationQueryParametersError). */
    readonly part?: 'header' | 'query',
    /** For skewed: the request's and the server's times. */
    readonly times?: { readonly signedAt: number; readonly now: number },
    /** For unsigned-headers: the headers present but not signed. */
    readonly unsigned?: readonly string[],
  ) {
    super(message || reason);
  }
}
