/** Query parameters that are credentials: a presigned URL's signature and a session's token. */
const SECRET_PARAMS = /([?&](?:X-Amz-Signature|X-Amz-Security-Token|Signature|x-amz-security-token)=)[^&#]*/gi;

/**
 * A request URL fit for the server log: a presigned URL is a bearer credential until it
 * expires, and a session token is one for its session, so their values are replaced.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PARAMS, '$1REDACTED');
}
