export { LambdaService, type LambdaServiceDeps } from './service.ts';
export { FunctionService, type FunctionServiceDeps } from './function-service.ts';
export { CodeCache, extractZip, digestZip } from './code-package.ts';
export type { Route, RouteContext, Authorizer } from './router.ts';
export { AWS_RUNTIMES, runtimeFamily } from './runtimes.ts';
export { ConcurrencyService } from './concurrency-service.ts';
