/**
 * The invocation record Lambda sends to an asynchronous invocation's destination.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */

/** Why the record was sent. */
export type RecordCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/** What one attempt returned: kept with the queued event between attempts. */
export interface AttemptOutcome {
  readonly statusCode: number;
  readonly executedVersion: string;
  readonly functionError?: string;
  /** The function's response (or error document), as text. */
  readonly responsePayload: string;
}

export interface InvocationRecordInput {
  readonly timestamp: number;
  readonly requestId: string;
  readonly functionArn: string;
  readonly condition: RecordCondition;
  readonly approximateInvokeCount: number;
  readonly requestPayload: Buffer;
  /** Absent when the event never ran (it aged out while throttled). */
  readonly outcome?: AttemptOutcome;
}

export function invocationRecord(input: InvocationRecordInput): Buffer {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date(input.timestamp).toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    requestPayload: parseOrText(input.requestPayload.toString('utf8')),
  };
  if (input.outcome) {
    record.responseContext = {
      statusCode: input.outcome.statusCode,
      executedVersion: input.outcome.executedVersion,
      ...(input.outcome.functionError ? { functionError: input.outcome.functionError } : {}),
    };
    record.responsePayload = parseOrText(input.outcome.responsePayload);
  }
  return Buffer.from(JSON.stringify(record));
}

/** The record's functionArn is qualified: the alias or version invoked, else $LATEST. */
export function recordFunctionArn(invokedFunctionArn: string): string {
  return invokedFunctionArn.split(':').length >= 8 ? invokedFunctionArn : `${invokedFunctionArn}:$LATEST`;
}

function parseOrText(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
