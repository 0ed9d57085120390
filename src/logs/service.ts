import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ALLOW_ALL, type Authorize } from '../auth/index.ts';
import { handleJsonRequest, type JsonEndpoint, type Service, type VerifyRequest } from '../gateway/index.ts';
import { JsonErrors } from '../errors/index.ts';
import { authorizeAll, groupOf, logsResources } from './authorization.ts';
import type { SqliteLogStore, StoredEvent } from './log-store.ts';
import { compileFilterPattern, InvalidFilterPatternError, type Matcher } from './filter-pattern.ts';
import { RETENTION_DAYS } from './retention.ts';

const TARGET_PREFIX = 'Logs_20140328.';
/** PutLogEvents' batch limit (1 MB of messages + 26 bytes each) leaves room for the JSON around it. */
const BODY_MAX = 2 * 1024 * 1024;
/**
 * PutLogEvents: at most 10,000 events and 1,048,576 bytes (messages + 26 each) a call.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 */
const PUT_EVENTS_MAX = 10_000;
const PUT_BATCH_MAX_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const DAY_MS = 86_400_000;

type Body = Record<string, unknown>;
type Action = (body: Body) => unknown;

/**
 * The CloudWatch Logs API (JSON 1.1, X-Amz-Target: Logs_20140328.<Action>) over the
 * function log store: what `aws logs tail`, `aws logs filter-log-events` and `nimbus logs` use.
 */
export class LogsService implements Service {
  readonly name = 'logs';
  readonly #actions: Record<string, Action>;
  readonly #endpoint: JsonEndpoint;

  constructor(
    private readonly store: SqliteLogStore,
    private readonly scope: { region: string; accountId: string },
    private readonly logger: Logger,
    /** SigV4 over the body; without it nothing is checked. */
    private readonly verify: VerifyRequest = (_req, read) => read(),
    /** The clock retention and PutLogEvents' age checks read (the store's). */
    private readonly now: () => number = Date.now,
    /** IAM authorization of logs:<Action> on the group's or stream's ARN; without it everything is allowed. */
    private readonly authorize: Authorize = ALLOW_ALL,
  ) {
    this.#actions = {
      DescribeLogGroups: (b) => this.#describeLogGroups(b),
      DescribeLogStreams: (b) => this.#describeLogStreams(b),
      GetLogEvents: (b) => this.#getLogEvents(b),
      FilterLogEvents: (b) => this.#filterLogEvents(b),
      CreateLogGroup: (b) => this.#createLogGroup(b),
      DeleteLogGroup: (b) => this.#deleteLogGroup(b),
      CreateLogStream: (b) => this.#createLogStream(b),
      DeleteLogStream: (b) => this.#deleteLogStream(b),
      PutLogEvents: (b) => this.#putLogEvents(b),
      PutRetentionPolicy: (b) => this.#putRetentionPolicy(b),
      DeleteRetentionPolicy: (b) => this.#deleteRetentionPolicy(b),
    };
    this.#endpoint = {
      targetPrefix: TARGET_PREFIX,
      bodyMax: BODY_MAX,
      verify: this.verify,
      logger: this.logger,
      label: 'the Logs API',
      action: (name) => {
        const fn = this.#actions[name];
        if (!fn) return undefined;
        return (body, req) => {
          authorizeAll(this.authorize, req, `logs:${name}`, logsResources(name, body as Body, this.scope));
          return fn(body as Body);
        };
      },
      internalError: () => new JsonErrors.ServiceUnavailableException('An internal error occurred; see the Nimbus server log.'),
    };
  }

  matches(req: IncomingMessage): boolean {
    const target = req.headers['x-amz-target'];
    return typeof target === 'string' && target.startsWith(TARGET_PREFIX);
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return handleJsonRequest(this.#endpoint, req, res);
  }

  #groupArn(name: string): string {
    return `arn:aws:logs:${this.scope.region}:${this.scope.accountId}:log-group:${name}`;
  }

  #requireGroup(body: Body): string {
    const name = str(body, 'logGroupName') ?? groupOf(str(body, 'logGroupIdentifier'));
    if (!name) throw new JsonErrors.InvalidParameterException('logGroupName or logGroupIdentifier is required');
    if (!this.store.group(name)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    return name;
  }

  // DescribeLogGroups
  #describeLogGroups(body: Body) {
    const limit = int(body, 'limit', 1, 50) ?? 50;
    const after = decodeToken(str(body, 'nextToken'));
    const rows = this.store.groups(str(body, 'logGroupNamePrefix'), typeof after === 'string' ? after : undefined, limit + 1);
    const page = rows.slice(0, limit);
    return {
      logGroups: page.map((g) => ({
        logGroupName: g.name,
        creationTime: g.created,
        ...(g.retentionDays ? { retentionInDays: g.retentionDays } : {}),
        metricFilterCount: 0,
        arn: `${this.#groupArn(g.name)}:*`,
        logGroupArn: this.#groupArn(g.name),
        storedBytes: g.storedBytes,
        logGroupClass: 'STANDARD',
      })),
      ...(rows.length > limit ? { nextToken: encodeToken(page[page.length - 1]!.name) } : {}),
    };
  }

  // DescribeLogStreams
  #describeLogStreams(body: Body) {
    const group = this.#requireGroup(body);
    const limit = int(body, 'limit', 1, 50) ?? 50;
    const orderBy = str(body, 'orderBy') ?? 'LogStreamName';
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
      throw new JsonErrors.InvalidParameterException(`Invalid orderBy: ${orderBy}`);
    }
    const prefix = str(body, 'logStreamNamePrefix');
    if (prefix && orderBy === 'LastEventTime') {
      throw new JsonErrors.InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const token = decodeToken(str(body, 'nextToken'));
    const offset = typeof token === 'number' ? token : 0;
    const rows = this.store.streams(group, {
      ...(prefix ? { prefix } : {}),
      orderByLastEvent: orderBy === 'LastEventTime',
      descending: body.descending === true,
      offset,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.created,
        ...(s.firstEvent !== null ? { firstEventTimestamp: s.firstEvent } : {}),
        ...(s.lastEvent !== null ? { lastEventTimestamp: s.lastEvent } : {}),
        ...(s.lastIngestion !== null ? { lastIngestionTime: s.lastIngestion } : {}),
        arn: `${this.#groupArn(group)}:log-stream:${s.name}`,
        storedBytes: s.storedBytes,
      })),
      ...(rows.length > limit ? { nextToken: encodeToken(offset + limit) } : {}),
    };
  }

  // GetLogEvents
  #getLogEvents(body: Body) {
    const group = this.#requireGroup(body);
    const stream = str(body, 'logStreamName');
    if (!stream) throw new JsonErrors.InvalidParameterException('logStreamName is required');
    if (!this.store.streamExists(group, stream)) throw new JsonErrors.ResourceNotFoundException('The specified log stream does not exist.');
    const limit = int(body, 'limit', 1, 10000) ?? 10000;
    const token = str(body, 'nextToken');
    const m = token ? /^([fb])\/(\d+)$/.exec(token) : null;
    if (token && !m) throw new JsonErrors.InvalidParameterException('The specified nextToken is invalid.');
    const startTime = num(body, 'startTime');
    const endTime = num(body, 'endTime');
    const rows = this.store.streamEvents(group, stream, {
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
      ...(m?.[1] === 'f' ? { afterId: Number(m[2]) } : {}),
      ...(m?.[1] === 'b' ? { beforeId: Number(m[2]) } : {}),
      fromHead: body.startFromHead === true,
      limit,
    });
    const first = rows[0]?.id;
    const last = rows[rows.length - 1]?.id;
    // With no events the tokens stay where the caller stood, as AWS's do at the end of a stream.
    const at = m ? Number(m[2]) : 0;
    return {
      events: rows.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: `f/${pad(last ?? (m?.[1] === 'f' ? at : (first ?? at)))}`,
      nextBackwardToken: `b/${pad(first ?? at)}`,
    };
  }

  // FilterLogEvents
  #filterLogEvents(body: Body) {
    const group = this.#requireGroup(body);
    const limit = int(body, 'limit', 1, 10000) ?? 10000;
    const streams = Array.isArray(body.logStreamNames) ? (body.logStreamNames as unknown[]).map(String) : undefined;
    const prefix = str(body, 'logStreamNamePrefix');
    if (streams && prefix) {
      throw new JsonErrors.InvalidParameterException('logStreamNames and logStreamNamePrefix are mutually exclusive');
    }
    const token = decodeToken(str(body, 'nextToken'));
    const after = Array.isArray(token) ? { timestamp: Number(token[0]), id: Number(token[1]) } : undefined;
    const matches = compilePattern(str(body, 'filterPattern') ?? '');
    const startTime = num(body, 'startTime');
    const endTime = num(body, 'endTime');
    const out: StoredEvent[] = [];
    let cursor = after;
    let exhausted = false;
    // Scan in pages so a selective pattern does not load the whole group at once.
    while (out.length < limit) {
      const rows = this.store.events({
        group,
        ...(streams ? { streams } : {}),
        ...(prefix ? { streamPrefix: prefix } : {}),
        ...(startTime !== undefined ? { startTime } : {}),
        ...(endTime !== undefined ? { endTime } : {}),
        ...(cursor ? { after: cursor } : {}),
        limit: 1000,
      });
      for (const e of rows) {
        cursor = { timestamp: e.timestamp, id: e.id };
        if (matches(e.message)) out.push(e);
        if (out.length >= limit) break;
      }
      if (rows.length < 1000) {
        exhausted = out.length < limit || rows[rows.length - 1]?.id === cursor?.id;
        break;
      }
    }
    return {
      events: out.map((e) => ({
        logStreamName: e.stream,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: eventId(e),
      })),
      searchedLogStreams: [],
      ...(!exhausted && cursor ? { nextToken: encodeToken([cursor.timestamp, cursor.id]) } : {}),
    };
  }
  // CreateLogGroup
  #createLogGroup(body: Body) {
    const name = groupName(body);
    if (!this.store.createGroup(name)) throw new JsonErrors.ResourceAlreadyExistsException('The specified log group already exists');
    return {};
  }

  // DeleteLogGroup
  #deleteLogGroup(body: Body) {
    const name = groupName(body);
    if (!this.store.deleteGroup(name)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    return {};
  }

  // CreateLogStream
  #createLogStream(body: Body) {
    const group = groupName(body);
    const stream = streamName(body);
    if (!this.store.group(group)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    if (!this.store.createStream(group, stream)) throw new JsonErrors.ResourceAlreadyExistsException('The specified log stream already exists');
    return {};
  }

  // DeleteLogStream
  #deleteLogStream(body: Body) {
    const group = groupName(body);
    const stream = streamName(body);
    if (!this.store.group(group)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    if (!this.store.deleteStream(group, stream)) throw new JsonErrors.ResourceNotFoundException('The specified log stream does not exist.');
    return {};
  }

  // PutLogEvents
  #putLogEvents(body: Body) {
    const group = groupName(body);
    const stream = streamName(body);
    const events = body.logEvents;
    if (!Array.isArray(events) || events.length < 1 || events.length > PUT_EVENTS_MAX) {
      throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and ${PUT_EVENTS_MAX}`);
    }
    let bytes = 0;
    let previous = -Infinity;
    const parsed = events.map((e: unknown, i: number) => {
      const ev = (e ?? {}) as Body;
      const timestamp = num(ev, 'timestamp');
      const message = str(ev, 'message');
      if (timestamp === undefined || message === undefined || message.length === 0) {
        throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value at 'logEvents.${i + 1}.member' failed to satisfy constraint: timestamp and a non-empty message are required`);
      }
      if (timestamp < previous) throw new JsonErrors.InvalidParameterException('Log events in a single PutLogEvents request must be in chronological order.');
      previous = timestamp;
      bytes += Buffer.byteLength(message) + EVENT_OVERHEAD;
      return { timestamp, message };
    });
    if (bytes > PUT_BATCH_MAX_BYTES) {
      throw new JsonErrors.InvalidParameterException(`Upload too large: ${bytes} bytes exceeds limit of ${PUT_BATCH_MAX_BYTES}`);
    }
    if (!this.store.group(group)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    if (!this.store.streamExists(group, stream)) throw new JsonErrors.ResourceNotFoundException('The specified log stream does not exist.');
    // Events more than 14 days old (or past the group's retention) or 2 hours ahead are refused, as AWS does.
    const now = this.now();
    const retention = this.store.group(group)?.retentionDays;
    const oldest = now - Math.min(14, retention ?? 14) * DAY_MS;
    const newest = now + 2 * 60 * 60_000;
    let tooOldEnd = 0;
    while (tooOldEnd < parsed.length && parsed[tooOldEnd]!.timestamp < oldest) tooOldEnd++;
    let tooNewStart = parsed.length;
    while (tooNewStart > tooOldEnd && parsed[tooNewStart - 1]!.timestamp > newest) tooNewStart--;
    const accepted = parsed.slice(tooOldEnd, tooNewStart);
    if (accepted.length > 0) {
      this.store.append(group, stream, accepted);
      this.store.flush();
    }
    const rejected = {
      ...(tooNewStart < parsed.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
      ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
    };
    return {
      nextSequenceToken: pad(Date.now()),
      ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
    };
  }

  // PutRetentionPolicy
  #putRetentionPolicy(body: Body) {
    const group = groupName(body);
    const days = body.retentionInDays;
    if (typeof days !== 'number' || !RETENTION_DAYS.has(days)) {
      throw new JsonErrors.InvalidParameterException(
        `1 validation error detected: Value '${String(days ?? null)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${[...RETENTION_DAYS].join(', ')}]`,
      );
    }
    if (!this.store.setRetention(group, days)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    this.store.sweepRetention(this.now());
    return {};
  }

  // DeleteRetentionPolicy
  #deleteRetentionPolicy(body: Body) {
    const group = groupName(body);
    if (!this.store.setRetention(group, null)) throw new JsonErrors.ResourceNotFoundException('The specified log group does not exist.');
    return {};
  }
}

/**
 * FilterPattern: at most 1024 characters (the model's constraint).
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 */
const FILTER_PATTERN_MAX = 1024;

/**
 * The request's filterPattern as a matcher. A pattern deep enough to overflow the stack
 * while compiling or evaluating (a RangeError) is the caller's fault, so it is reported
 * like any other bad pattern rather than as a 5xx.
 */
export function compilePattern(pattern: string, compile: (pattern: string) => Matcher = compileFilterPattern): Matcher {
  if (pattern.length > FILTER_PATTERN_MAX) {
    throw new JsonErrors.InvalidParameterException(
      `1 validation error detected: Value '${pattern}' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to ${FILTER_PATTERN_MAX}`,
    );
  }
  let matches: Matcher;
  try {
    matches = compile(pattern);
  } catch (err) {
    if (err instanceof InvalidFilterPatternError || err instanceof RangeError) throw invalidPattern();
    throw err;
  }
  return (message) => {
    try {
      return matches(message);
    } catch (err) {
      if (err instanceof RangeError) throw invalidPattern();
      throw err;
    }
  };
}

function invalidPattern() {
  return new JsonErrors.InvalidParameterException('Invalid filter pattern');
}

/** LogGroupName: 1..512 of [\.\-_/#A-Za-z0-9] (the model's constraint). */
function groupName(body: Body): string {
  const name = str(body, 'logGroupName');
  if (name === undefined) throw new JsonErrors.InvalidParameterException('1 validation error detected: Value null at \'logGroupName\' failed to satisfy constraint: Member must not be null');
  if (name.length < 1 || name.length > 512) {
    throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must have length between 1 and 512`);
  }
  if (!/^[.\-_/#A-Za-z0-9]+$/.test(name)) {
    throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  }
  return name;
}

/** LogStreamName: 1..512 characters, no ':' or '*'. */
function streamName(body: Body): string {
  const name = str(body, 'logStreamName');
  if (name === undefined) throw new JsonErrors.InvalidParameterException('1 validation error detected: Value null at \'logStreamName\' failed to satisfy constraint: Member must not be null');
  if (name.length < 1 || name.length > 512) {
    throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must have length between 1 and 512`);
  }
  if (/[:*]/.test(name)) {
    throw new JsonErrors.InvalidParameterException(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  }
  return name;
}

function str(body: Body, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new JsonErrors.InvalidParameterException(`${key} must be a string`);
  return v;
}

function num(body: Body, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new JsonErrors.InvalidParameterException(`${key} must be a number`);
  return v;
}

function int(body: Body, key: string, min: number, max: number): number | undefined {
  const v = num(body, key);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new JsonErrors.InvalidParameterException(
      `1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return v;
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken(token: string | undefined): unknown {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new JsonErrors.InvalidParameterException('The specified nextToken is invalid.');
  }
}

function pad(id: number): string {
  return String(id).padStart(56, '0');
}

/** AWS event ids are long digit strings; ours encode the row id. */
function eventId(e: StoredEvent): string {
  return pad(e.id);
}
