/**
 * What to execute for a function's runtime, and with which environment. The sandbox
 * spawns whatever plan this returns, wrapped by isolation.ts (bubblewrap, cgroup);
 * adding a runtime is a change here only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostPython } from './host.ts';
import type { EnvironmentCredentials, FunctionSpec } from './types.ts';
import { layerPaths } from './layer-paths.ts';

export interface LaunchContext {
  /** host:port of this environment's Runtime API. */
  readonly runtimeApi: string;
  readonly logStreamName: string;
  readonly initializationType: 'on-demand' | 'provisioned-concurrency';
  /**
   * True under bubblewrap: the environment sees its code at /var/task, its runtime at
   * /var/runtime and its layers at /opt, as on AWS. False: it sees the host's paths.
   */
  readonly sandboxed?: boolean;
  /** The environment's own /tmp folder when it is not sandboxed (TMPDIR points there). */
  readonly tmpDir?: string;
  /** Host folder of the Node.js runtime's node_modules (the AWS SDK, see runtime-modules.ts), if built. */
  readonly runtimeModules?: string;
  /** The execution role's temporary credentials; without them, FUNCTION_CREDENTIALS (auth off). */
  readonly credentials?: EnvironmentCredentials;
}

export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Host folder of the runtime, shown read-only at /var/runtime under bubblewrap. */
  readonly runtimeDir?: string;
  /** Host folders the command needs besides /usr (an interpreter installed elsewhere), shown read-only at their own path. */
  readonly hostDirs?: readonly string[];
  /** Host folder shown read-only at /var/runtime/node_modules under bubblewrap. */
  readonly runtimeModulesDir?: string;
  /**
   * Also link /var/node_modules to /var/runtime/node_modules, where Node's own lookup from
   * /var/task finds it: `import` then reaches the SDK without a loader hook, as `require` does.
   */
  readonly linkRuntimeModules?: boolean;
  /** The runtime speaks the Runtime API over a pipe at its fd 3 (runtime-ipc.ts), besides the HTTP port it is told. */
  readonly pipe?: boolean;
}

export type Launcher = (spec: FunctionSpec, ctx: LaunchContext) => LaunchPlan;

/** Thrown for a runtime no launcher knows; the Lambda API should have refused it. */
export class UnsupportedRuntimeError extends Error {
  override readonly name = 'UnsupportedRuntimeError';
  constructor(readonly runtime: string) {
    super(`Nimbus cannot run runtime ${runtime}`);
  }
}

/** The runtime cannot start at all (e.g. no bootstrap): the invocation answers Runtime.InvalidEntrypoint. */
export class InvalidEntrypointError extends Error {
  override readonly name = 'InvalidEntrypointError';
}

/** Placeholder role credentials, for environments started without real ones (auth off). */
export const FUNCTION_CREDENTIALS = Object.freeze({
  accessKeyId: 'ASIANIMBUSFUNCTION00',
  secretAccessKey: 'nimbus-function-placeholder-secret',
  sessionToken: 'nimbus-function-placeholder-session-token',
});

/** Where AWS puts things inside an execution environment. */
export const GUEST_TASK_ROOT = '/var/task';
export const GUEST_RUNTIME_DIR = '/var/runtime';
export const GUEST_OPT = '/opt';
/** On the upward node_modules lookup from /var/task, not from /opt; see LaunchPlan.linkRuntimeModules. */
export const GUEST_LINKED_MODULES = '/var/node_modules';

const RUNTIMES_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../runtime');
/** Directory holding the Node.js guest runtime (bootstrap.cjs and its modules). */
export const NODE_RUNTIME_DIR = path.join(RUNTIMES_ROOT, 'node');
/** Directory holding the Python guest runtime (bootstrap.py). */
export const PYTHON_RUNTIME_DIR = path.join(RUNTIMES_ROOT, 'python');

/** LAMBDA_TASK_ROOT as the environment sees it. */
export function taskRoot(spec: FunctionSpec, ctx: LaunchContext): string {
  return ctx.sandboxed ? GUEST_TASK_ROOT : spec.codeDir;
}

/** LAMBDA_RUNTIME_DIR as the environment sees it. */
function runtimeRoot(hostDir: string, ctx: LaunchContext): string {
  return ctx.sandboxed ? GUEST_RUNTIME_DIR : hostDir;
}

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
  const root = taskRoot(spec, ctx);
  const env: Record<string, string> = {
    LANG: 'en_US.UTF-8',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: `/lib64:/usr/lib64:${runtimeDir}:${runtimeDir}/lib:${root}:${root}/lib:/opt/lib`,
    ...(ctx.tmpDir && !ctx.sandboxed ? { TMPDIR: ctx.tmpDir } : {}),
    // Not reserved on AWS: a function may point its SDK elsewhere.
    ...(spec.serviceEndpoint ? { AWS_ENDPOINT_URL: spec.serviceEndpoint } : {}),
    ...extra.unreserved,
  };
  // No private /opt (bubblewrap mounts layersDir there): point /opt search paths at the layers.
  if (spec.layersDir && !ctx.sandboxed) Object.assign(env, layerPaths(env, spec.layersDir, spec.runtime));
  for (const [key, value] of Object.entries(spec.environment)) {
    if (!RESERVED_ENVIRONMENT_KEYS.has(key)) env[key] = value;
  }
  // LoggingConfig JSON, as Lambda passes it to the runtime.
  if (spec.jsonLogging) {
    env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
    env.AWS_LAMBDA_LOG_LEVEL = spec.jsonLogging.applicationLogLevel;
  }
  env._HANDLER = spec.handler;
  // The execution role's temporary credentials, as AWS sets them (placeholders with auth off).
  const credentials = ctx.credentials ?? FUNCTION_CREDENTIALS;
  env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  env.AWS_SESSION_TOKEN = credentials.sessionToken;
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
  env.LAMBDA_TASK_ROOT = root;
  env.LAMBDA_RUNTIME_DIR = runtimeDir;
  env.TZ = ':UTC';
  return env;
}

/** nodejsNN.x: the host's own node running the Nimbus Node.js runtime. */
export const nodeLauncher: Launcher = (spec, ctx) => {
  const major = /^nodejs(\d+)\.x$/.exec(spec.runtime)?.[1] ?? process.versions.node.split('.')[0]!;
  const nodeBin = path.dirname(process.execPath);
  const runtimeDir = runtimeRoot(NODE_RUNTIME_DIR, ctx);
  // The AWS SDK, after the layers' folders as on AWS, so a layer's own copy wins.
  const sdk = ctx.sandboxed || !ctx.runtimeModules ? `${runtimeDir}/node_modules` : ctx.runtimeModules;
  const env = buildEnvironment(spec, ctx, runtimeDir, {
    executionEnv: `AWS_Lambda_${spec.runtime}`,
    unreserved: {
      PATH: `${nodeBin}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
      NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:${sdk}:${runtimeDir}:${taskRoot(spec, ctx)}`,
    },
  });
  // No V8 flags (AWS passes --expose-gc and a heap split derived from the memory size):
  // any V8 flag makes node reject the code cache in its startup snapshot, which costs
  // ~15-20 ms on every cold start. Memory is enforced outside the process (cgroup, watchdog).
  // A CommonJS entry (AWS's is an ES module): node reaches it ~10 ms sooner, with no ES
  // module loader to set up before the function needs one.
  // --v8-pool-size is node's, not V8's (the code cache stays): one V8 worker thread rather
  // than four, whose stacks and malloc arenas an idle environment would otherwise keep
  // dirty (about 1 MiB of its private memory after a few thousand invocations).
  return {
    command: process.execPath,
    args: ['--v8-pool-size=1', path.join(runtimeDir, 'bootstrap.cjs'), '--pipe'],
    pipe: true,
    cwd: taskRoot(spec, ctx),
    env,
    runtimeDir: NODE_RUNTIME_DIR,
    hostDirs: outsideUsr(installPrefix(process.execPath)),
    ...(ctx.runtimeModules
      ? // Ahead of NODE_PATH, the link would hide a layer's copy: with layer packages, ESM finds the SDK through the loader hook.
        { runtimeModulesDir: ctx.runtimeModules, linkRuntimeModules: !layerNodeModules(spec.layersDir, major) }
      : {}),
  };
};

/** Whether the layers bring folders of the Node.js runtime's NODE_PATH. */
function layerNodeModules(layersDir: string | undefined, major: string): boolean {
  if (!layersDir) return false;
  return [`nodejs/node${major}/node_modules`, 'nodejs/node_modules'].some((dir) => fs.existsSync(path.join(layersDir, dir)));
}

/**
 * python3.x: the host's Python 3 running the Nimbus Python runtime. -S skips site's
 * .pth processing (the runtime adds the site-packages folders itself), -u keeps print()
 * unbuffered so output lands in the invocation that wrote it.
 */
export const pythonLauncher: Launcher = (spec, ctx) => {
  const python = hostPython();
  if (!python) throw new UnsupportedRuntimeError(spec.runtime);
  const runtimeDir = runtimeRoot(PYTHON_RUNTIME_DIR, ctx);
  const env = buildEnvironment(spec, ctx, runtimeDir, {
    executionEnv: `AWS_Lambda_${spec.runtime}`,
    unreserved: { PYTHONPATH: runtimeDir },
  });
  return {
    command: python.executable,
    args: ['-S', '-u', path.join(runtimeDir, 'bootstrap.py')],
    cwd: taskRoot(spec, ctx),
    env,
    runtimeDir: PYTHON_RUNTIME_DIR,
    hostDirs: outsideUsr(python.prefix),
  };
};

/**
 * provided, provided.al2, provided.al2023: the function's own `bootstrap` executable,
 * from the code package or else from a layer (/opt/bootstrap), as Lambda looks for it.
 */
export const providedLauncher: Launcher = (spec, ctx) => {
  const candidates: [host: string, guest: string][] = [
    [path.join(spec.codeDir, 'bootstrap'), path.join(taskRoot(spec, ctx), 'bootstrap')],
  ];
  if (spec.layersDir) candidates.push([path.join(spec.layersDir, 'bootstrap'), ctx.sandboxed ? `${GUEST_OPT}/bootstrap` : path.join(spec.layersDir, 'bootstrap')]);
  const found = candidates.find(([host]) => isFile(host));
  if (!found) {
    const names = ctx.sandboxed ? [`${GUEST_TASK_ROOT}/bootstrap`, `${GUEST_OPT}/bootstrap`] : candidates.map(([, guest]) => guest);
    throw new InvalidEntrypointError(`Couldn't find valid bootstrap(s): [${names.join(' ')}]`);
  }
  try {
    fs.accessSync(found[0], fs.constants.X_OK);
  } catch {
    throw new InvalidEntrypointError(`fork/exec ${found[1]}: permission denied`);
  }
  return {
    command: found[1],
    args: [],
    cwd: taskRoot(spec, ctx),
    // OS-only runtimes bring their own runtime; AWS still names this directory.
    env: buildEnvironment(spec, ctx, GUEST_RUNTIME_DIR),
  };
};

export function launcherFor(runtime: string): Launcher {
  if (/^nodejs\d+\.x$/.test(runtime)) return nodeLauncher;
  if (/^python3\.\d+$/.test(runtime)) return pythonLauncher;
  if (runtime === 'provided' || runtime.startsWith('provided.')) return providedLauncher;
  throw new UnsupportedRuntimeError(runtime);
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** /opt/node for /opt/node/bin/node (the folder an interpreter's files live in). */
function installPrefix(executable: string): string {
  let real = executable;
  try {
    real = fs.realpathSync(executable);
  } catch {
    // keep the given path
  }
  return path.dirname(path.dirname(real));
}

/** [dir] unless the system view (/usr) already shows it. */
function outsideUsr(dir: string): string[] {
  return dir === '/usr' || dir.startsWith('/usr/') ? [] : [dir];
}
