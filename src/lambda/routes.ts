import type { Route } from './router.ts';
import { functionRoutes, type RouteDeps } from './function-routes.ts';
import { concurrencyRoutes } from './concurrency-routes.ts';
import { provisionedRoutes } from './provisioned-routes.ts';
import { versionRoutes } from './version-routes.ts';
import { aliasRoutes } from './alias-routes.ts';
import { layerRoutes } from './layer-routes.ts';
import { policyRoutes } from './policy-routes.ts';
import { eventInvokeConfigRoutes } from './event-invoke-config-routes.ts';

export type { RouteDeps } from './function-routes.ts';

/**
 * The whole Lambda API route table, one module per area. Each route names its AWS
 * operation, IAM action and resource ARN.
 */
export function lambdaRoutes(deps: RouteDeps): Route[] {
  return [...functionRoutes(deps), ...concurrencyRoutes(deps), ...provisionedRoutes(deps), ...versionRoutes(deps), ...aliasRoutes(deps), ...layerRoutes(deps), ...eventInvokeConfigRoutes(deps), ...policyRoutes(deps)];
}
