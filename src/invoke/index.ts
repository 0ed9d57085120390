export { Invoker, type AsyncEvent, type FunctionResolver, type InvokeOptions, type InvokerOptions, type ResolvedFunction } from './invoker.ts';
export { ConcurrencyLimiter } from './concurrency.ts';
