import { InvalidParameterValueException } from '../errors/index.ts';
import { parseFunctionRef, type Scope } from './names.ts';

/*
 * Qualifiers name what of a function a call acts on: $LATEST, a published version
 * number, or an alias. Patterns from the service model:
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html
 */

export const LATEST = '$LATEST';
/** Qualifier: (|[a-zA-Z0-9$_-]+), 1..128. */
const QUALIFIER = /^[a-zA-Z0-9$_-]+$/;
const QUALIFIER_MAX = 128;
/** Alias: (?!^[0-9]+$)([a-zA-Z0-9-_]+), 1..128. */
const ALIAS = /^(?!^[0-9]+$)[a-zA-Z0-9_-]+$/;
export const ALIAS_MAX = 128;
/** Version: (\$LATEST|[0-9]+), 1..1024. */
const VERSION = /^(\$LATEST|[0-9]+)$/;
const VERSION_MAX = 1024;

export type QualifierKind = 'latest' | 'version' | 'alias' | 'unknown';

export function qualifierKind(q: string): QualifierKind {
  if (q === LATEST) return 'latest';
  if (/^[0-9]+$/.test(q)) return 'version';
  if (ALIAS.test(q)) return 'alias';
  return 'unknown';
}

/** A FunctionName path parameter and the optional Qualifier query, as one reference. */
export interface QualifiedRef {
  readonly name: string;
  readonly qualifier?: string;
}

/** Parses name and qualifier; a qualifier in the name must agree with the Qualifier parameter. */
export function parseQualifiedRef(functionName: string, qualifier: string | undefined, scope: Scope): QualifiedRef {
  const ref = parseFunctionRef(functionName, scope);
  // The model's pattern admits an empty Qualifier: it names nothing.
  if (qualifier === '') qualifier = undefined;
  if (qualifier !== undefined) checkQualifier(qualifier);
  if (ref.qualifier && qualifier !== undefined && ref.qualifier !== qualifier) {
    throw new InvalidParameterValueException('The derived qualifier from the function name does not match the specified qualifier.');
  }
  const q = qualifier ?? ref.qualifier;
  return q === undefined ? { name: ref.name } : { name: ref.name, qualifier: q };
}

export function checkQualifier(q: string): void {
  if (q.length > QUALIFIER_MAX) {
    throw validation(q, 'qualifier', `Member must have length less than or equal to ${QUALIFIER_MAX}`);
  }
  if (!QUALIFIER.test(q)) {
    throw validation(q, 'qualifier', 'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)');
  }
}

export function checkAliasName(name: string): void {
  if (name.length > ALIAS_MAX) throw validation(name, 'name', `Member must have length less than or equal to ${ALIAS_MAX}`);
  if (!ALIAS.test(name)) {
    throw validation(name, 'name', 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)');
  }
}

export function checkVersion(version: string, field = 'functionVersion'): void {
  if (version.length > VERSION_MAX) throw validation(version, field, `Member must have length less than or equal to ${VERSION_MAX}`);
  if (!VERSION.test(version)) throw validation(version, field, 'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)');
}

export function validation(value: string, field: string, constraint: string): InvalidParameterValueException {
  return new InvalidParameterValueException(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}
