/**
 * What the async queue needs from a function's event-invoke config
 * (PutFunctionEventInvokeConfig): how often to retry, how old an event may get, and where
 * the invocation record goes afterwards.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 */
export interface EventInvokeSettings {
  /** 0–2; AWS's default is 2. */
  readonly maximumRetryAttempts: number;
  /** 60–21600 seconds; AWS's default is 21600 (6 hours). */
  readonly maximumEventAgeInSeconds: number;
  /** Destination ARN for successful invocations. */
  readonly onSuccess?: string;
  /** Destination ARN for events that failed every attempt or grew too old. */
  readonly onFailure?: string;
}

export const DEFAULT_EVENT_INVOKE_SETTINGS: EventInvokeSettings = Object.freeze({
  maximumRetryAttempts: 2,
  maximumEventAgeInSeconds: 21_600,
});

/**
 * The settings that apply to an event for functionName at qualifier (undefined and
 * "$LATEST" are the same: the unqualified function); AWS's defaults when none is configured.
 */
export type EventSettingsLookup = (functionName: string, qualifier?: string) => EventInvokeSettings;
