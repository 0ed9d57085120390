export { AsyncQueue, type AcceptedEvent, type AsyncQueueDeps, type EventQueue, type EventSink, type FailedEvent } from './async-queue.ts';
export { invocationRecord, recordFunctionArn, type AttemptOutcome, type RecordCondition } from './invocation-record.ts';
