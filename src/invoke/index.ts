export { Invoker, type FunctionResolver, type InvokeOptions, type InvokerOptions, type ResolvedFunction } from './invoker.ts';
export { ConcurrencyLimiter } from './concurrency.ts';
export { DEFAULT_EVENT_INVOKE_SETTINGS, type EventInvokeSettings, type EventSettingsLookup } from './async-types.ts';
