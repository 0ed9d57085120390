/**
 * Wire errors of the query-protocol services (IAM, STS): the status, and the body
 * <ErrorResponse xmlns="…"><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/></ErrorResponse>.
 * Each class is named exactly after its code (IAM's codes drop AWS's "Exception" suffix on the
 * wire: NoSuchEntityException in the model is <Code>NoSuchEntity</Code>). Codes and statuses follow
 * ../shared/aws-models/{iam,sts}/service-2.json and
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
 */
export abstract class QueryProtocolError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
  get code(): string {
    return this.constructor.name;
  }
  /** Who is at fault, as the <Type> element says. */
  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

function queryError(status: number) {
  abstract class Coded extends QueryProtocolError {
    readonly status = status;
  }
  return Coded;
}

export class AccessDenied extends queryError(403) {}
export class DeleteConflict extends queryError(409) {}
export class EntityAlreadyExists extends queryError(409) {}
export class InternalFailure extends queryError(500) {}
export class InvalidAction extends queryError(400) {}
export class InvalidInput extends queryError(400) {}
export class LimitExceeded extends queryError(409) {}
export class MalformedPolicyDocument extends queryError(400) {}
export class MissingAction extends queryError(400) {}
export class NoSuchEntity extends queryError(404) {}
export class RequestEntityTooLarge extends queryError(413) {}
export class ServiceFailure extends queryError(500) {}
export class ValidationError extends queryError(400) {}

/** Every query-protocol wire error class; a test checks each code equals its name and is documented. */
export const QUERY_ERRORS = [
  AccessDenied,
  DeleteConflict,
  EntityAlreadyExists,
  InternalFailure,
  InvalidAction,
  InvalidInput,
  LimitExceeded,
  MalformedPolicyDocument,
  MissingAction,
  NoSuchEntity,
  RequestEntityTooLarge,
  ServiceFailure,
  ValidationError,
] as const;
