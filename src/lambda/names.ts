import { InvalidParameterValueException, ResourceNotFoundException } from '../errors/index.ts';
import { FUNCTION_NAME_MAX } from './schemas.ts';

/**
 * The three forms AWS accepts wherever a function is named, each optionally qualified:
 * my-function[:q], 123456789012:function:my-function[:q], arn:aws:lambda:us-east-1:123456789012:function:my-function[:q]
 */
const FULL =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9\-_]+)(?::(\$LATEST|[a-zA-Z0-9\-_]+))?$/;

export interface FunctionRef {
  readonly name: string;
  readonly qualifier?: string;
}

export interface Scope {
  readonly region: string;
  readonly accountId: string;
}

/** Parses a FunctionName path parameter; refuses names of another account or region. */
export function parseFunctionRef(input: string, scope: Scope): FunctionRef {
  const m = FULL.exec(input);
  if (!m || input.length > 140) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${input}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
    );
  }
  const region = m[1];
  const account = m[2];
  const name = m[3]!;
  const qualifier = m[4];
  if (name.length > FUNCTION_NAME_MAX) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to ${FUNCTION_NAME_MAX}`,
    );
  }
  if ((region && region !== scope.region) || (account && account !== scope.accountId)) {
    throw new ResourceNotFoundException(`Function not found: ${input}`);
  }
  return qualifier ? { name, qualifier } : { name };
}

export function functionArn(scope: Scope, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  return qualifier ? `${base}:${qualifier}` : base;
}

export function logGroupName(name: string): string {
  return `/aws/lambda/${name}`;
}

/** AWS's LastModified format: 2024-01-01T12:00:00.000+0000 */
export function lastModifiedNow(now: number): string {
  return new Date(now).toISOString().replace('Z', '+0000');
}
