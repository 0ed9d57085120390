/** Sandbox subsystem: execution environments (child processes + Runtime API) and their pool. */
export type {
  EnvironmentCredentials,
  FunctionSpec,
  InvokeRequest,
  InvokeResult,
  LogSink,
  PoolStats,
  ProvisionedStatus,
  SandboxPool,
} from './types.ts';
export {
  createSandboxPool,
  CREDENTIAL_MARGIN_MS,
  ProvisioningError,
  SandboxPoolDisposedError,
  type EnvironmentInfo,
  type LocalSandboxPool,
  type PoolLogger,
  type SandboxPoolOptions,
} from './pool.ts';
export {
  RESERVED_ENVIRONMENT_KEYS,
  UnsupportedRuntimeError,
  launcherFor,
  type LaunchContext,
  type LaunchPlan,
  type Launcher,
} from './launcher.ts';
export { MAX_RESPONSE_PAYLOAD_BYTES } from './runtime-api.ts';
export {
  closeSandboxHost,
  describeSandboxHost,
  detectSandboxHost,
  hostPython,
  plainSandboxHost,
  type PythonInfo,
  type SandboxHost,
} from './host.ts';
export { RUNTIME_SDK_CLIENTS, nodeRuntimeModules } from './runtime-modules.ts';
