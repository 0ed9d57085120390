export * from './lambda-errors.ts';
export * as JsonErrors from './json-errors.ts';
// Namespaced: S3's InternalError would collide with the internal error class.
export * as S3Errors from './s3-errors.ts';
// Namespaced: IAM/STS codes (AccessDenied, ValidationError...) are generic words.
export * as QueryErrors from './query-errors.ts';
// Namespaced: CloudWatch's codes (InvalidParameterValue, MissingAction...) overlap the other families'.
export * as CloudWatchErrors from './cloudwatch-errors.ts';
export { INTERNAL_CODES, InternalError, type InternalCode } from './internal.ts';
