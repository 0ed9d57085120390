import { randomUUID } from 'node:crypto';
import { S3Errors } from '../errors/index.ts';
import type { LambdaNotification, NotificationConfigRecord } from '../storage/index.ts';
import { renderXml, xmlText, type XmlObject } from './xml.ts';

/*
 * PutBucketNotificationConfiguration's document, validated as S3 validates it, and
 * GetBucketNotificationConfiguration's. Element names are the model's locationNames:
 * LambdaFunctionConfigurations travel as <CloudFunctionConfiguration> with <CloudFunction>.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
 */

/** Event types of the model's Event enum (Nimbus emits the ObjectCreated and ObjectRemoved:Delete ones). */
export const NOTIFICATION_EVENTS: ReadonlySet<string> = new Set([
  's3:ReducedRedundancyLostObject', 's3:ObjectCreated:*', 's3:ObjectCreated:Put', 's3:ObjectCreated:Post', 's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload', 's3:ObjectRemoved:*', 's3:ObjectRemoved:Delete', 's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*', 's3:ObjectRestore:Post', 's3:ObjectRestore:Completed', 's3:Replication:*', 's3:Replication:OperationFailedReplication',
  's3:Replication:OperationNotTracked', 's3:Replication:OperationMissedThreshold', 's3:Replication:OperationReplicatedAfterThreshold',
  's3:ObjectRestore:Delete', 's3:LifecycleTransition', 's3:IntelligentTiering', 's3:ObjectAcl:Put', 's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete', 's3:LifecycleExpiration:DeleteMarkerCreated', 's3:ObjectTagging:*', 's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
]);

/** A filter rule value is at most 1,024 bytes; an Id at most 255 characters. */
const FILTER_VALUE_MAX_BYTES = 1024;
const ID_MAX = 255;

const LAMBDA_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?$/;

/** A destination Nimbus cannot deliver to: S3 names it in its validation error. */
export interface UnservedDestination {
  readonly arn: string;
  readonly reason: string;
}

export interface ParsedNotifications {
  readonly config: NotificationConfigRecord;
  /** Queues, topics, EventBridge: refused with "Unable to validate..." once parsing succeeds. */
  readonly unserved: readonly UnservedDestination[];
}

const invalid = (message: string, name?: string, value?: string) =>
  new S3Errors.InvalidArgument(message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' });

/** Parses and validates the NotificationConfiguration document's content (parseXmlBody's result). */
export function parseNotificationConfiguration(doc: Record<string, unknown>, scope: { region: string; accountId: string }): ParsedNotifications {
  const lambda: LambdaNotification[] = [];
  const unserved: UnservedDestination[] = [];
  const all: LambdaNotification[] = [];
  for (const entry of list(doc.QueueConfiguration)) {
    const n = parseEntry(entry, 'Queue');
    all.push(n);
    unserved.push({ arn: n.functionArn, reason: 'The destination queue does not exist' });
  }
  for (const entry of list(doc.TopicConfiguration)) {
    const n = parseEntry(entry, 'Topic');
    all.push(n);
    unserved.push({ arn: n.functionArn, reason: 'The destination topic does not exist' });
  }
  for (const entry of list(doc.CloudFunctionConfiguration)) {
    const n = parseEntry(entry, 'CloudFunction');
    const m = LAMBDA_ARN.exec(n.functionArn);
    if (!m) throw invalid('The ARN could not be parsed', 'CloudFunction', n.functionArn);
    if (m[1] !== scope.region) throw invalid('The notification destination service region is not valid for the bucket location constraint', 'CloudFunction', n.functionArn);
    all.push(n);
    lambda.push(n);
  }
  if (doc.EventBridgeConfiguration !== undefined) {
    // Nimbus serves no EventBridge: refused rather than accepted and never delivered.
    unserved.push({ arn: `arn:aws:events:${scope.region}:${scope.accountId}:event-bus/default`, reason: 'The destination event bus does not exist' });
  }
  const ids = new Set<string>();
  for (const n of all) {
    if (ids.has(n.id)) throw invalid('Same ID used for multiple configurations. IDs must be unique.');
    ids.add(n.id);
  }
  checkOverlaps(all);
  return { config: { lambda }, unserved };
}

function list(value: unknown): Record<string, unknown>[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((v) => {
    if (typeof v !== 'object' || v === null) throw new S3Errors.MalformedXML();
    return v as Record<string, unknown>;
  });
}

/** One configuration; functionArn holds whichever destination ARN it names. */
function parseEntry(entry: Record<string, unknown>, arnElement: 'Queue' | 'Topic' | 'CloudFunction'): LambdaNotification {
  const arn = xmlText(entry, arnElement);
  const rawEvents = entry.Event === undefined ? [] : Array.isArray(entry.Event) ? entry.Event : [entry.Event];
  if (!arn || rawEvents.length === 0) throw new S3Errors.MalformedXML();
  const names = rawEvents.map((e) => {
    if (typeof e !== 'string') throw new S3Errors.MalformedXML();
    if (!NOTIFICATION_EVENTS.has(e)) throw invalid('The event is not supported for notifications', 'Event', e);
    return e;
  });
  const id = xmlText(entry, 'Id') || generatedId();
  if (id.length > ID_MAX) throw invalid(`ID length exceeded allowed limit of ${ID_MAX}`, 'Id', id);
  return { id, functionArn: arn, events: names, filterRules: parseFilter(entry.Filter) };
}

/** S3's generated Ids: the base64 of a UUID's text. */
function generatedId(): string {
  return Buffer.from(randomUUID()).toString('base64');
}

function parseFilter(filter: unknown): LambdaNotification['filterRules'] {
  if (filter === undefined || filter === '') return [];
  if (typeof filter !== 'object' || filter === null) throw new S3Errors.MalformedXML();
  const key = (filter as Record<string, unknown>).S3Key;
  if (key === undefined || key === '') return [];
  if (typeof key !== 'object' || key === null) throw new S3Errors.MalformedXML();
  const rules: { name: 'Prefix' | 'Suffix'; value: string }[] = [];
  for (const rule of list((key as Record<string, unknown>).FilterRule)) {
    const rawName = xmlText(rule, 'Name') ?? '';
    const value = xmlText(rule, 'Value') ?? '';
    const lower = rawName.toLowerCase();
    if (lower !== 'prefix' && lower !== 'suffix') throw invalid('filter rule name must be either prefix or suffix', 'FilterRule', rawName);
    const name = lower === 'prefix' ? 'Prefix' : 'Suffix';
    if (rules.some((r) => r.name === name)) throw invalid(`Cannot specify more than one ${lower} rule in a filter.`, 'FilterRule', rawName);
    if (Buffer.byteLength(value) > FILTER_VALUE_MAX_BYTES) throw invalid('Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation', 'FilterRule', value);
    rules.push({ name, value });
  }
  return rules;
}

/** Whether a configured event type (maybe a :* wildcard) covers an event name such as ObjectCreated:Put. */
export function eventCovers(configured: string, eventName: string): boolean {
  const type = configured.startsWith('s3:') ? configured.slice(3) : configured;
  if (type.endsWith(':*')) return eventName.startsWith(type.slice(0, -1));
  return type === eventName;
}

/** Whether two lists of configured event types share one (s3:ObjectCreated:* shares every ObjectCreated type). */
function eventsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const covers = (x: string, y: string) => x === y || (x.endsWith(':*') && y.startsWith(x.slice(0, -1)));
  return a.some((x) => b.some((y) => covers(x, y) || covers(y, x)));
}

function filterOf(n: LambdaNotification): { prefix: string; suffix: string } {
  return { prefix: n.filterRules.find((r) => r.name === 'Prefix')?.value ?? '', suffix: n.filterRules.find((r) => r.name === 'Suffix')?.value ?? '' };
}

/**
 * Two configurations sharing an event type may not both match one key: their prefixes
 * overlap when one starts the other (an absent prefix overlaps every prefix), and
 * likewise their suffixes; overlapping in both is refused.
 */
function checkOverlaps(all: readonly LambdaNotification[]): void {
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (!eventsOverlap(a.events, b.events)) continue;
      const fa = filterOf(a);
      const fb = filterOf(b);
      const prefixes = fa.prefix.startsWith(fb.prefix) || fb.prefix.startsWith(fa.prefix);
      const suffixes = fa.suffix.endsWith(fb.suffix) || fb.suffix.endsWith(fa.suffix);
      if (!prefixes || !suffixes) continue;
      if (a.filterRules.length === 0 && b.filterRules.length === 0) {
        throw invalid('Configurations overlap. Configurations on the same bucket cannot share a common event type.');
      }
      throw invalid('Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.');
    }
  }
}

/** The "Unable to validate the following destination configurations" error, numbering each refused destination. */
export function destinationError(refused: readonly UnservedDestination[]): S3Errors.InvalidArgument {
  const details: Record<string, string> = {};
  refused.forEach((r, i) => {
    details[`ArgumentName${i + 1}`] = r.arn;
    details[`ArgumentValue${i + 1}`] = r.reason;
  });
  return new S3Errors.InvalidArgument('Unable to validate the following destination configurations', details);
}

/** GetBucketNotificationConfiguration's document. */
export function renderNotificationConfiguration(config: NotificationConfigRecord | undefined): string {
  const functions: XmlObject[] = (config?.lambda ?? []).map((n) => ({
    Id: n.id,
    CloudFunction: n.functionArn,
    Event: [...n.events],
    Filter: n.filterRules.length > 0 ? { S3Key: { FilterRule: n.filterRules.map((r) => ({ Name: r.name, Value: r.value })) } } : undefined,
  }));
  return renderXml('NotificationConfiguration', { CloudFunctionConfiguration: functions });
}
