import { QueryErrors } from '../errors/index.ts';
import { listMembers, type QueryParams } from './query-protocol.ts';

/**
 * A string member's constraints, as the service model states them (min, max, pattern
 * matching the whole value, enum). `pattern` is the model's text, quoted in messages.
 */
export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

export interface IntRule {
  readonly min: number;
  readonly max: number;
}

/** Shapes of ../shared/aws-models/iam/service-2.json (and sts) that Nimbus's actions read. */
export const RULES = {
  userName: { min: 1, max: 64, pattern: '[\\w+=,.@-]+' },
  existingUserName: { min: 1, max: 128, pattern: '[\\w+=,.@-]+' },
  roleName: { min: 1, max: 64, pattern: '[\\w+=,.@-]+' },
  policyName: { min: 1, max: 128, pattern: '[\\w+=,.@-]+' },
  path: { min: 1, max: 512, pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' },
  pathPrefix: { min: 1, max: 512, pattern: '\\u002F[\\u0021-\\u007F]*' },
  policyPath: { min: 1, max: 512, pattern: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/' },
  policyDocument: { min: 1, max: 131072, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
  roleDescription: { max: 1000, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' },
  policyDescription: { max: 1000 },
  arn: { min: 20, max: 2048 },
  marker: { min: 1, max: 320, pattern: '[\\u0020-\\u00FF]+' },
  accessKeyId: { min: 16, max: 128, pattern: '[\\w]+' },
  status: { enum: ['Active', 'Inactive', 'Expired'] },
  policyVersionId: { pattern: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' },
  policyScope: { enum: ['All', 'AWS', 'Local'] },
  policyUsage: { enum: ['PermissionsPolicy', 'PermissionsBoundary'] },
  tagKey: { min: 1, max: 128, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' },
  tagValue: { min: 0, max: 256, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' },
  roleSessionName: { min: 2, max: 64, pattern: '[\\w+=,.@-]*' },
} as const satisfies Record<string, StringRule>;

export const INT_RULES = {
  maxItems: { min: 1, max: 1000 },
  roleMaxSessionDuration: { min: 3600, max: 43200 },
  roleDurationSeconds: { min: 900, max: 43200 },
} as const satisfies Record<string, IntRule>;

export const TAGS_MAX = 50;

const compiled = new Map<string, RegExp>();
function whole(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new RegExp(`^(?:${pattern})$`, 'u')));
  return re;
}

/** AWS's member name in validation messages: the member with a lowercase first letter. */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function invalid(value: string | null, member: string, constraint: string): QueryErrors.ValidationError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new QueryErrors.ValidationError(`1 validation error detected: Value ${shown} at '${memberName(member)}' failed to satisfy constraint: ${constraint}`);
}

/** Checks a string against a rule, naming `member` in AWS's validation message. */
export function checkString(value: string, member: string, rule: StringRule): string {
  const length = [...value].length;
  if (rule.min !== undefined && length < rule.min) throw invalid(value, member, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && length > rule.max) throw invalid(value, member, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern !== undefined && !whole(rule.pattern).test(value)) throw invalid(value, member, `Member must satisfy regular expression pattern: ${rule.pattern}`);
  if (rule.enum !== undefined && !rule.enum.includes(value)) throw invalid(value, member, `Member must satisfy enum value set: [${rule.enum.join(', ')}]`);
  return value;
}

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** One request's fields, read through the model's constraints. */
export class Params {
  constructor(readonly raw: QueryParams) {}

  str(name: string, rule: StringRule): string | undefined {
    const v = this.raw.get(name);
    return v === undefined ? undefined : checkString(v, name, rule);
  }

  required(name: string, rule: StringRule): string {
    const v = this.raw.get(name);
    if (v === undefined) throw invalid(null, name, 'Member must not be null');
    return checkString(v, name, rule);
  }

  int(name: string, rule: IntRule): number | undefined {
    const v = this.raw.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(v.trim())) throw invalid(v, name, 'Member must be an integer');
    const n = Number(v);
    if (n < rule.min) throw invalid(v, name, `Member must have value greater than or equal to ${rule.min}`);
    if (n > rule.max) throw invalid(v, name, `Member must have value less than or equal to ${rule.max}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw.get(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw invalid(v, name, 'Member must be a boolean');
    return v === 'true';
  }

  /** Tags.member.N.Key/Value: at most 50, keys unique. */
  tags(name = 'Tags'): Tag[] {
    const members = listMembers(this.raw, name);
    if (members.length > TAGS_MAX) throw invalid(`[${members.length} tags]`, name, `Member must have length less than or equal to ${TAGS_MAX}`);
    const seen = new Set<string>();
    return members.map((m, i) => {
      if (m.Key === undefined) throw invalid(null, `${name}.${i + 1}.member.key`, 'Member must not be null');
      if (m.Value === undefined) throw invalid(null, `${name}.${i + 1}.member.value`, 'Member must not be null');
      checkString(m.Key, `${name}.${i + 1}.member.key`, RULES.tagKey);
      checkString(m.Value, `${name}.${i + 1}.member.value`, RULES.tagValue);
      if (seen.has(m.Key.toLowerCase())) throw new QueryErrors.InvalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      seen.add(m.Key.toLowerCase());
      return { Key: m.Key, Value: m.Value };
    });
  }
}
