export * from './lambda-errors.ts';
export * as JsonErrors from './json-errors.ts';
export { INTERNAL_CODES, InternalError, type InternalCode } from './internal.ts';
