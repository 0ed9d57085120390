/**
 * Storage contracts. The services above them never see SQLite or the file system;
 * cluster mode swaps in other backends behind the same interfaces.
 */

/** The stored configuration of one function version ($LATEST or a published number). */
export interface FunctionRecord {
  readonly name: string;
  readonly version: string;
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description: string;
  readonly timeout: number;
  readonly memorySize: number;
  readonly ephemeralStorage: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly architectures: readonly string[];
  /** base64 SHA-256 of the zip, as AWS reports it. */
  readonly codeSha256: string;
  readonly codeSize: number;
  /** Blob key of the zip. */
  readonly codeKey: string;
  /** AWS format: 2024-01-01T12:00:00.000+0000 */
  readonly lastModified: string;
  readonly revisionId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Layers in order, each a snapshot of its version (absent: none). */
  readonly layers?: readonly FunctionLayer[];
  /** LoggingConfig as set (absent: Text format, group /aws/lambda/<name>). */
  readonly loggingConfig?: FunctionLoggingConfig;
  /** $LATEST only: highest version number ever published (numbers are never reused). */
  readonly lastPublishedVersion?: number;
  /** $LATEST only: its revisionId right after the last publish (unchanged since means nothing to publish). */
  readonly publishedRevisionId?: string;
}

/** A function's LoggingConfig; levels only with the JSON format. */
export interface FunctionLoggingConfig {
  readonly logFormat: 'Text' | 'JSON';
  readonly applicationLogLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  readonly systemLogLevel?: 'DEBUG' | 'INFO' | 'WARN';
  /** A custom log group; absent: /aws/lambda/<name>. */
  readonly logGroup?: string;
}

/** A layer version as a function holds it: kept even after the version is deleted. */
export interface FunctionLayer {
  /** Layer version ARN. */
  readonly arn: string;
  readonly codeSize: number;
  readonly codeSha256: string;
  /** Blob key of the layer zip. */
  readonly codeKey: string;
  readonly unzippedSize: number;
}

export interface ListPage<T> {
  readonly items: T[];
  readonly nextMarker?: string;
}

export interface MetadataStore {
  getFunction(name: string, version?: string): FunctionRecord | undefined;
  /** Inserts a new function; returns false when the name is taken. */
  createFunction(record: FunctionRecord): boolean;
  /**
   * Replaces a function's $LATEST when its current revision id is expectedRevisionId;
   * returns false on a lost race.
   */
  updateFunction(record: FunctionRecord, expectedRevisionId: string): boolean;
  /** Deletes every version of a function; returns the records removed. */
  deleteFunction(name: string): FunctionRecord[];
  /** $LATEST of each function ordered by name, starting after `after`. */
  listFunctions(after: string | undefined, limit: number): FunctionRecord[];
  /** Functions and the bytes of code they hold, for GetAccountSettings. */
  usage(): { functionCount: number; totalCodeSize: number };
  /** How many function versions reference a code blob. */
  countCodeReferences(codeKey: string): number;
  close(): void;
}

/** Immutable blobs addressed by key (code packages now; layers and objects later). */
export interface BlobStore {
  /** Stores data durably under key (write-then-rename). */
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  createReadStream(key: string): NodeJS.ReadableStream | undefined;
  size(key: string): number | undefined;
  delete(key: string): Promise<void>;
}
