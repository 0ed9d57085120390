/**
 * Contracts between the invoke path and the sandbox pool. The pool owns every
 * child process; nothing else spawns or kills one.
 */

/** Everything needed to start an execution environment for one function version. */
export interface FunctionSpec {
  /**
   * Identity of code + configuration. Environments are only reused for the same key;
   * an update of code or configuration produces a new key and retires the old environments.
   */
  readonly key: string;
  readonly functionName: string;
  /** Unqualified ARN: arn:aws:lambda:<region>:<account>:function:<name> */
  readonly functionArn: string;
  /** "$LATEST" or a published version number. */
  readonly version: string;
  /** e.g. "nodejs20.x". Every nodejsNN.x runs on the host's Node.js. */
  readonly runtime: string;
  /** e.g. "index.handler" or "src/app.handler" */
  readonly handler: string;
  /** Directory holding the extracted code package (becomes LAMBDA_TASK_ROOT). */
  readonly codeDir: string;
  /**
   * The function's layers merged into one folder, later layers over earlier ones (what
   * AWS mounts at /opt); absent without layers. Changing layers changes revisionId, so key.
   */
  readonly layersDir?: string;
  readonly memorySize: number;
  /** Seconds, 1..900 */
  readonly timeout: number;
  /** MB of /tmp, 512..10240 */
  readonly ephemeralStorage: number;
  /** The function's own Environment.Variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** "/aws/lambda/<name>", or the LoggingConfig's LogGroup */
  readonly logGroupName: string;
  /**
   * LoggingConfig with LogFormat JSON: the runtime gets AWS_LAMBDA_LOG_FORMAT=JSON and
   * AWS_LAMBDA_LOG_LEVEL=<applicationLogLevel>; platform lines become JSON records filtered
   * by systemLogLevel. Absent: Text.
   */
  readonly jsonLogging?: { readonly applicationLogLevel: string; readonly systemLogLevel: string };
  readonly region: string;
  /**
   * URL of Nimbus's own APIs, given to the function as AWS_ENDPOINT_URL so an unmodified
   * AWS SDK inside it calls back into Nimbus (current SDKs honour the variable).
   */
  readonly serviceEndpoint?: string;
  /** The execution role's ARN: environments get temporary credentials of a session of it. */
  readonly role?: string;
}

/** An execution environment's role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch; an idle environment is not reused close to it. */
  readonly expiresAt?: number;
}

export interface InvokeRequest {
  readonly requestId: string;
  readonly payload: Buffer;
  /** The ARN the caller used, qualified when the caller qualified it. */
  readonly invokedFunctionArn: string;
  /** Decoded client context JSON (X-Amz-Client-Context is base64 of it), if any. */
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
  readonly traceId: string;
  /** When true, the full log text is kept for the result's logTail. */
  readonly wantLogTail?: boolean;
}

export interface InvokeResult {
  /** Response body: the function's result, or the error document. */
  readonly payload: Buffer;
  /** Set when the function failed: AWS always reports "Unhandled" for runtime errors. */
  readonly functionError?: 'Unhandled' | 'Handled';
  /** Last 4 KB of this invocation's log, START..REPORT inclusive (only when wantLogTail). */
  readonly logTail?: string;
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly maxMemoryUsedMB: number;
  /** Present on a cold start. */
  readonly initDurationMs?: number;
  /** True when a provisioned environment ran it (ProvisionedConcurrencyInvocations vs spillover). */
  readonly provisioned?: boolean;
}

/** Where function output and platform lines (START/END/REPORT) go. */
export interface LogSink {
  append(group: string, stream: string, events: ReadonlyArray<{ timestamp: number; message: string }>): void;
}

export interface PoolStats {
  readonly busy: number;
  readonly idle: number;
  readonly starting: number;
}

/** Provisioned environments of one spec.key. */
export interface ProvisionedStatus {
  /** Environments fully initialised (handler loaded, waiting on /next or running). */
  readonly ready: number;
  readonly requested: number;
}

export interface SandboxPool {
  /**
   * Runs one invocation in a warm environment of spec.key (a provisioned one first), or a
   * new one. Never rejects for function failures.
   */
  invoke(spec: FunctionSpec, request: InvokeRequest): Promise<InvokeResult>;
  /**
   * Retires environments of a function: idle ones are killed now, busy ones after their
   * current invocation. Environments whose key equals keepKey are kept, and so are
   * provisioned ones (unprovision releases those).
   */
  /** With version, only that version's environments are retired (published versions never change). */
  retire(functionName: string, keepKey?: string, version?: string): void;
  /**
   * Keeps `count` environments of spec.key initialised ahead of time
   * (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency): never reaped, preferred by
   * invoke(), replaced when one dies, and their invocations report no Init Duration.
   * Calling it again changes the count. Resolves when `count` are ready; rejects when an
   * environment fails to initialise (the others stay provisioned).
   */
  provision(spec: FunctionSpec, count: number): Promise<void>;
  /** Releases the provisioned environments of key: idle ones now, busy ones after their invocation. */
  unprovision(key: string): void;
  provisioned(key: string): ProvisionedStatus;
  stats(): PoolStats;
  /** Kills every environment and waits for every child to exit; in-flight invokes fail. */
  dispose(): Promise<void>;
}
