import type { Scope } from './names.ts';

const FUNCTION_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

/**
 * A full function ARN (as other services name their Lambda destinations) to the name and
 * qualifier it invokes; undefined for anything else, or for another region or account.
 */
export function parseFunctionArn(arn: string, scope: Scope): { name: string; qualifier?: string } | undefined {
  const m = FUNCTION_ARN.exec(arn);
  if (!m || m[1] !== scope.region || m[2] !== scope.accountId) return undefined;
  return m[4] ? { name: m[3]!, qualifier: m[4] } : { name: m[3]! };
}
