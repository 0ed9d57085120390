/**
 * Wire errors of the JSON 1.1 services (CloudWatch Logs now; Secrets Manager later):
 * status 400 with body {"__type": code, "message": ...}. Each class is named exactly
 * after its AWS code; import them as a namespace (LogsErrors.ResourceNotFoundException)
 * since some codes share names with Lambda's.
 */
export abstract class JsonProtocolError extends Error {
  readonly status: number = 400;
  get code(): string {
    return this.constructor.name;
  }
}

export class ResourceNotFoundException extends JsonProtocolError {}
export class InvalidParameterException extends JsonProtocolError {}
export class ResourceAlreadyExistsException extends JsonProtocolError {}
export class UnknownOperationException extends JsonProtocolError {}
export class SerializationException extends JsonProtocolError {}
export class ServiceUnavailableException extends JsonProtocolError {
  override readonly status = 500;
}
/** Authorization: the caller's identity policies do not allow the action (both services' front ends answer 400). */
export class AccessDeniedException extends JsonProtocolError {}
// Secrets Manager's own codes.
export class ResourceExistsException extends JsonProtocolError {}
export class InvalidRequestException extends JsonProtocolError {}
export class InvalidNextTokenException extends JsonProtocolError {}
export class ValidationException extends JsonProtocolError {}
export class DecryptionFailure extends JsonProtocolError {}
export class InternalServiceError extends JsonProtocolError {
  override readonly status = 500;
}
// Authentication (SigV4): the JSON front end answers these with 400.
export class MissingAuthenticationTokenException extends JsonProtocolError {}
export class IncompleteSignatureException extends JsonProtocolError {}
export class InvalidSignatureException extends JsonProtocolError {}
export class UnrecognizedClientException extends JsonProtocolError {}
export class ExpiredTokenException extends JsonProtocolError {}

export const JSON_ERRORS = [
  ResourceNotFoundException,
  InvalidParameterException,
  ResourceAlreadyExistsException,
  UnknownOperationException,
  SerializationException,
  ServiceUnavailableException,
  AccessDeniedException,
  ResourceExistsException,
  InvalidRequestException,
  InvalidNextTokenException,
  ValidationException,
  DecryptionFailure,
  InternalServiceError,
  MissingAuthenticationTokenException,
  IncompleteSignatureException,
  InvalidSignatureException,
  UnrecognizedClientException,
  ExpiredTokenException,
] as const;
