import type { IncomingMessage } from 'node:http';
import { AccessDeniedError, type Authorize } from '../auth/index.ts';

type Body = Record<string, unknown>;

/**
 * What each CloudWatch Logs action is authorized on. AWS evaluates log-group actions on
 * `…:log-group:<name>:log-stream:` and stream actions on `…:log-group:<name>:log-stream:<stream>`
 * (its AccessDenied messages name those), so the usual `…:log-group:<name>:*` grants both;
 * DescribeLogGroups is on `…:log-group::log-stream:`, which only `*`-style resources match.
 * The Service Authorization Reference spells the log-group resource `…:log-group:<name>`, so
 * group actions are also evaluated on that: either spelling allows, a Deny on either refuses.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
const SCOPE: Readonly<Record<string, 'account' | 'group' | 'stream'>> = {
  DescribeLogGroups: 'account',
  DescribeLogStreams: 'group',
  FilterLogEvents: 'group',
  CreateLogGroup: 'group',
  DeleteLogGroup: 'group',
  PutRetentionPolicy: 'group',
  DeleteRetentionPolicy: 'group',
  GetLogEvents: 'stream',
  PutLogEvents: 'stream',
  CreateLogStream: 'stream',
  DeleteLogStream: 'stream',
};

/**
 * The ARNs `logs:<action>` is checked on for this body; none when the body names no group
 * (the action then fails its own validation before touching anything).
 */
export function logsResources(action: string, body: Body, scope: { region: string; accountId: string }): string[] {
  const base = `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:`;
  const kind = SCOPE[action];
  if (kind === 'account') return [`${base}:log-stream:`];
  const group = text(body.logGroupName) ?? groupOf(text(body.logGroupIdentifier));
  if (!kind || group === undefined) return [];
  if (kind === 'group') return [`${base}${group}:log-stream:`, `${base}${group}`];
  const stream = text(body.logStreamName);
  return [`${base}${group}:log-stream:${stream ?? ''}`];
}

/**
 * Allowed when at least one resource is allowed and none is explicitly denied; the refusal
 * names the first resource (AWS's spelling).
 */
export function authorizeAll(authorize: Authorize, req: IncomingMessage, action: string, resources: readonly string[]): void {
  let first: AccessDeniedError | undefined;
  let allowed = false;
  for (const resource of resources) {
    try {
      authorize(req, { action, resource });
      allowed = true;
    } catch (err) {
      if (!(err instanceof AccessDeniedError) || err.explicit) throw err;
      first ??= err;
    }
  }
  if (!allowed && first) throw first;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** logGroupIdentifier: a name, or the group's ARN (with or without the trailing :*). */
export function groupOf(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = /^arn:aws[a-zA-Z-]*:logs:[^:]*:\d{12}:log-group:(.+?)(:\*)?$/.exec(id);
  return m ? m[1] : id;
}
