/**
 * What to execute for a function's runtime, and with which environment. The sandbox
 * spawns whatever plan this returns; wrapping it (bubblewrap, cgroups) or adding a
 * runtime (python, provided) is a change here only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from './types.ts';

export interface LaunchContext {
  /** host:port of this environment's Runtime API. */
  readonly runtimeApi: string;
  readonly logStreamName: string;
  readonly initializationType: 'on-demand' | 'provisioned-concurrency';
}

export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

export type Launcher = (spec: FunctionSpec, ctx: LaunchContext) => LaunchPlan;

/** Thrown for a runtime no launcher knows; the Lambda API should have refused it. */
export class UnsupportedRuntimeError extends Error {
  override readonly name = 'UnsupportedRuntimeError';
  constructor(readonly runtime: string) {
    super(`Nimbus cannot run runtime ${runtime}`);
  }
}

/** Directory holding the Node.js guest runtime (bootstrap.mjs). */
export const NODE_RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../runtime/node');
const NODE_BOOTSTRAP = path.join(NODE_RUNTIME_DIR, 'bootstrap.mjs');
/** OS-only runtimes bring their own runtime; AWS still names this directory. */
const PROVIDED_RUNTIME_DIR = '/var/runtime';

/**
 * Keys the function's own Environment may not set: Lambda owns them.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const RESERVED_ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
]);

/**
 * The child's environment, built from nothing (never process.env: it would leak host
 * secrets, and NODE_EXTRA_CA_CERTS alone adds ~85 ms to every node start). Defaults
 * the function may override, then its Environment, then the reserved variables.
 */
export function buildEnvironment(
  spec: FunctionSpec,
  ctx: LaunchContext,
  runtimeDir: string,
  extra: { executionEnv?: string; unreserved?: Record<string, string> } = {},
): Record<string, string> {
  const env: Record<string, string> = {
    LANG: 'en_US.UTF-8',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: `/lib64:/usr/lib64:${runtimeDir}:${runtimeDir}/lib:${spec.codeDir}:${spec.codeDir}/lib:/opt/lib`,
    ...extra.unreserved,
  };
  for (const [key, value] of Object.entries(spec.environment)) {
    if (!RESERVED_ENVIRONMENT_KEYS.has(key)) env[key] = value;
  }
  env._HANDLER = spec.handler;
  env.AWS_REGION = spec.region;
  env.AWS_DEFAULT_REGION = spec.region;
  if (extra.executionEnv) env.AWS_EXECUTION_ENV = extra.executionEnv;
  env.AWS_LAMBDA_FUNCTION_NAME = spec.functionName;
  env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(spec.memorySize);
  env.AWS_LAMBDA_FUNCTION_VERSION = spec.version;
  env.AWS_LAMBDA_INITIALIZATION_TYPE = ctx.initializationType;
  env.AWS_LAMBDA_LOG_GROUP_NAME = spec.logGroupName;
  env.AWS_LAMBDA_LOG_STREAM_NAME = ctx.logStreamName;
  env.AWS_LAMBDA_RUNTIME_API = ctx.runtimeApi;
  env.LAMBDA_TASK_ROOT = spec.codeDir;
  env.LAMBDA_RUNTIME_DIR = runtimeDir;
  env.TZ = ':UTC';
  return env;
}

/** nodejsNN.x: the host's own node running the Nimbus Node.js runtime. */
export const nodeLauncher: Launcher = (spec, ctx) => {
  const major = /^nodejs(\d+)\.x$/.exec(spec.runtime)?.[1] ?? process.versions.node.split('.')[0];
  const nodeBin = path.dirname(process.execPath);
  const env = buildEnvironment(spec, ctx, NODE_RUNTIME_DIR, {
    executionEnv: `AWS_Lambda_${spec.runtime}`,
    unreserved: {
      PATH: `${nodeBin}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
      NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:${NODE_RUNTIME_DIR}/node_modules:${NODE_RUNTIME_DIR}:${spec.codeDir}`,
    },
  });
  // No V8 flags (AWS passes --expose-gc and a heap split derived from the memory size):
  // any V8 flag makes node reject the code cache in its startup snapshot, which costs
  // ~15-20 ms on every cold start. Memory is to be enforced outside the process.
  return { command: process.execPath, args: [NODE_BOOTSTRAP], cwd: spec.codeDir, env };
};

/** provided.al2 / provided.al2023: the function's own `bootstrap` executable. */
export const providedLauncher: Launcher = (spec, ctx) => ({
  command: path.join(spec.codeDir, 'bootstrap'),
  args: [],
  cwd: spec.codeDir,
  env: buildEnvironment(spec, ctx, PROVIDED_RUNTIME_DIR),
});

export function launcherFor(runtime: string): Launcher {
  if (/^nodejs\d+\.x$/.test(runtime)) return nodeLauncher;
  if (runtime === 'provided' || runtime.startsWith('provided.')) return providedLauncher;
  throw new UnsupportedRuntimeError(runtime);
}
