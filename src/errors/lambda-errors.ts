/**
 * Lambda wire errors: one class per AWS error code, named exactly after it. The Lambda
 * error boundary renders them as status + `x-amzn-ErrorType` + `{"Type","Message"}`.
 * Which casing the message member has ("Message" or "message") follows the service model.
 */

export type ErrorSource = 'User' | 'Service';

export abstract class LambdaError extends Error {
  abstract readonly status: number;
  /** "User" for caller faults, "Service" for ours, as AWS reports in the body's Type. */
  readonly type: ErrorSource = 'User';
  /** Name of the message member in the model's error shape. */
  readonly messageMember: 'Message' | 'message' = 'message';
  /** Extra body members (e.g. Reason) and headers (e.g. Retry-After). */
  extraBody(): Record<string, unknown> {
    return {};
  }
  extraHeaders(): Record<string, string> {
    return {};
  }
  get code(): string {
    return this.constructor.name;
  }
}

export class ResourceNotFoundException extends LambdaError {
  readonly status = 404;
  override readonly messageMember = 'Message' as const;
}

export class ResourceConflictException extends LambdaError {
  readonly status = 409;
}

export class InvalidParameterValueException extends LambdaError {
  readonly status = 400;
}

export class InvalidRequestContentException extends LambdaError {
  readonly status = 400;
}

export class RequestTooLargeException extends LambdaError {
  readonly status = 413;
}

export class UnsupportedMediaTypeException extends LambdaError {
  readonly status = 415;
}

export class PreconditionFailedException extends LambdaError {
  readonly status = 412;
}

export class ProvisionedConcurrencyConfigNotFoundException extends LambdaError {
  readonly status = 404;
}

export class PolicyLengthExceededException extends LambdaError {
  readonly status = 400;
}

export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'FunctionInvocationRateLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionInvocationRateLimitExceeded'
  | 'CallerRateLimitExceeded';

export class TooManyRequestsException extends LambdaError {
  readonly status = 429;
  constructor(
    message: string,
    readonly reason: ThrottleReason,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
  override extraBody() {
    return { Reason: this.reason };
  }
  override extraHeaders() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

export class ServiceException extends LambdaError {
  readonly status = 500;
  override readonly type = 'Service' as const;
  override readonly messageMember = 'Message' as const;
}

/** Not a Lambda model error: the gateway's answer for a path no service serves. */
export class UnknownOperationException extends LambdaError {
  readonly status = 404;
  override readonly messageMember = 'Message' as const;
}

/** Every wire error class; a test checks each code equals its name and is documented. */
// Authentication (SigV4), answered by Lambda's front end before any action runs.
export class MissingAuthenticationTokenException extends LambdaError {
  readonly status = 403;
}

export class IncompleteSignatureException extends LambdaError {
  readonly status = 400;
}

export class InvalidSignatureException extends LambdaError {
  readonly status = 403;
}

export class UnrecognizedClientException extends LambdaError {
  readonly status = 403;
}

export class ExpiredTokenException extends LambdaError {
  readonly status = 403;
}

/** Authorization: "User: <arn> is not authorized to perform: lambda:<Action> on resource: <arn> because …". */
export class AccessDeniedException extends LambdaError {
  readonly status = 403;
  override readonly messageMember = 'Message' as const;
}

export const LAMBDA_ERRORS = [
  ResourceNotFoundException,
  ResourceConflictException,
  InvalidParameterValueException,
  InvalidRequestContentException,
  RequestTooLargeException,
  UnsupportedMediaTypeException,
  PreconditionFailedException,
  ProvisionedConcurrencyConfigNotFoundException,
  PolicyLengthExceededException,
  TooManyRequestsException,
  ServiceException,
  UnknownOperationException,
  MissingAuthenticationTokenException,
  IncompleteSignatureException,
  InvalidSignatureException,
  UnrecognizedClientException,
  ExpiredTokenException,
  AccessDeniedException,
] as const;
