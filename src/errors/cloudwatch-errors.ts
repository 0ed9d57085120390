/**
 * Wire errors of the CloudWatch API (src/cloudwatch), which speaks three protocols. Each class
 * is named after the code the query protocol (and the `x-amzn-query-error` header of the
 * other two, since the model is awsQueryCompatible) carries: `InvalidParameterValue`, not the
 * model's shape name `InvalidParameterValueException`, which travels as `__type` in JSON 1.0
 * and RPC v2 CBOR answers. Codes, shapes and statuses follow
 * ../shared/aws-models/cloudwatch/service-2.json.gz and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
 */
export abstract class CloudWatchError extends Error {
  abstract readonly status: number;
  /** The model's error shape (com.amazonaws.cloudwatch#…); undefined for the front end's errors (com.amazon.coral.service#…). */
  readonly shape?: string;
  /** The member holding the message: the model spells it `Message` on InternalServiceFault, `message` elsewhere. */
  readonly messageMember: 'message' | 'Message' = 'message';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
  get code(): string {
    return this.constructor.name;
  }
  /** Who is at fault: <Type> in query answers, the second half of x-amzn-query-error. */
  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

// Errors of the model (operations' `errors`).
export class InvalidParameterValue extends CloudWatchError {
  readonly status = 400;
  override readonly shape = 'InvalidParameterValueException';
}
export class MissingParameter extends CloudWatchError {
  readonly status = 400;
  override readonly shape = 'MissingRequiredParameterException';
}
export class InvalidParameterCombination extends CloudWatchError {
  readonly status = 400;
  override readonly shape = 'InvalidParameterCombinationException';
}
export class InvalidNextToken extends CloudWatchError {
  readonly status = 400;
  override readonly shape = 'InvalidNextToken';
}
export class InternalServiceError extends CloudWatchError {
  readonly status = 500;
  override readonly shape = 'InternalServiceFault';
  override readonly messageMember = 'Message';
}

// The front end's: an operation Nimbus does not serve, a body that does not decode.
/** JSON 1.0 and RPC v2 CBOR: an operation (X-Amz-Target, or the /operation/ path segment) Nimbus does not serve. */
export class UnknownOperationException extends CloudWatchError {
  readonly status = 400;
}
/** JSON 1.0 and RPC v2 CBOR: a body that is not JSON / CBOR, or a member of the wrong type. */
export class SerializationException extends CloudWatchError {
  readonly status = 400;
}
/** Query: an Action Nimbus does not serve, or another Version. */
export class InvalidAction extends CloudWatchError {
  readonly status = 400;
}
/** Query: no Action field. */
export class MissingAction extends CloudWatchError {
  readonly status = 400;
}
export class RequestEntityTooLarge extends CloudWatchError {
  readonly status = 413;
}
/** Authorization: the caller's identity policies do not allow the action (the front end's AccessDeniedException in JSON and CBOR). */
export class AccessDenied extends CloudWatchError {
  readonly status = 403;
  override readonly shape = 'com.amazon.coral.service#AccessDeniedException';
}

/** Every CloudWatch wire error class; a test checks each code equals its name and is documented. */
export const CLOUDWATCH_ERRORS = [
  InvalidParameterValue,
  MissingParameter,
  InvalidParameterCombination,
  InvalidNextToken,
  InternalServiceError,
  UnknownOperationException,
  SerializationException,
  InvalidAction,
  MissingAction,
  RequestEntityTooLarge,
  AccessDenied,
] as const;
