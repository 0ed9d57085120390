import { z } from 'zod';

/*
 * AddPermission's body, parsed once. Patterns and lengths are the service model's:
 * https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
 */

const detected = (value: string, field: string, constraint: string) =>
  `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`;
const notNull = (field: string) => ({ error: `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null` });

/** A string member: required or not, its length bounds and its pattern (shown as the model writes it). */
function member(field: string, opts: { min?: number; max?: number; pattern?: [RegExp, string] }) {
  return z.string(notNull(field)).superRefine((v, ctx) => {
    const fail = (constraint: string) => ctx.addIssue({ code: 'custom', message: detected(v, field, constraint) });
    if (opts.min !== undefined && v.length < opts.min) return fail(`Member must have length greater than or equal to ${opts.min}`);
    if (opts.max !== undefined && v.length > opts.max) return fail(`Member must have length less than or equal to ${opts.max}`);
    if (opts.pattern && !opts.pattern[0].test(v)) fail(`Member must satisfy regular expression pattern: ${opts.pattern[1]}`);
  });
}

/** StatementId: 1..100, ([a-zA-Z0-9-_]+). */
export const STATEMENT_ID_MAX = 100;
/** The whole policy document may not exceed 20 KB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const POLICY_MAX_BYTES = 20 * 1024;

export const AddPermissionBody = z
  .object({
    StatementId: member('statementId', { min: 1, max: STATEMENT_ID_MAX, pattern: [/^[a-zA-Z0-9_-]+$/, '([a-zA-Z0-9-_]+)'] }),
    Action: member('action', { pattern: [/^(lambda:\*|lambda:[a-zA-Z]+|\*)$/, '(lambda:[*]|lambda:[a-zA-Z]+|[*])'] }),
    Principal: member('principal', { pattern: [/^\S+$/, '[^\\s]+'] }),
    SourceArn: member('sourceArn', {
      pattern: [/^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$/s, 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)'],
    }).optional(),
    SourceAccount: member('sourceAccount', { max: 12, pattern: [/^\d{12}$/, '\\d{12}'] }).optional(),
    EventSourceToken: member('eventSourceToken', { max: 256, pattern: [/^[a-zA-Z0-9._-]+$/, '[a-zA-Z0-9._\\-]+'] }).optional(),
    RevisionId: z.string().optional(),
    PrincipalOrgID: member('principalOrgID', { min: 12, max: 34, pattern: [/^o-[a-z0-9]{10,32}$/, 'o-[a-z0-9]{10,32}'] }).optional(),
    FunctionUrlAuthType: z
      .string()
      .refine((v) => v === 'NONE' || v === 'AWS_IAM', { error: (i) => detected(String(i.input), 'functionUrlAuthType', 'Member must satisfy enum value set: [NONE, AWS_IAM]') })
      .optional(),
    InvokedViaFunctionUrl: z.boolean().optional(),
  })
  .loose();
export type AddPermissionBody = z.infer<typeof AddPermissionBody>;
