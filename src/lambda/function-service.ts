import { randomUUID } from 'node:crypto';
import type { BlobStore, FunctionLayer, FunctionRecord, MetadataStore } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  RequestTooLargeException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors/index.ts';
import type { CreateFunctionBody, UpdateFunctionCodeBody, UpdateFunctionConfigurationBody } from './schemas.ts';
import { CodeCache, digestZip } from './code-package.ts';
import type { LayerAttacher } from './layer-service.ts';
import { functionArn, lastModifiedNow, parseFunctionRef, type Scope } from './names.ts';
import { logGroupOf, resolveLoggingConfig } from './logging-config.ts';

export interface FunctionServiceDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly codeCache: CodeCache;
  readonly clock: Clock;
  readonly scope: Scope;
  readonly zipMaxBytes: number;
  /** Checks and snapshots the Layers a function names (absent: Layers are refused). */
  readonly layers?: LayerAttacher;
  /**
   * Reads a code package from a bucket (S3Bucket/S3Key); throws AWS's
   * InvalidParameterValueException when the object cannot be read.
   */
  readonly bucketCode?: (bucket: string, key: string, version?: string) => Promise<Buffer>;
  /** Called after code or configuration changed, so old environments are retired. */
  readonly onChange?: (name: string, record: FunctionRecord | undefined) => void;
  /**
   * Whether the role exists and its trust policy lets lambda.amazonaws.com assume it
   * (absent: any well-formed role ARN is taken, as unit tests want).
   */
  readonly lambdaCanAssume?: (roleArn: string) => boolean;
}

/** AWS's answer when Role names a role Lambda cannot assume (missing, or not trusting lambda.amazonaws.com). */
const ROLE_NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The function lifecycle: create, read, update and delete, on the metadata and blob stores. */
export class FunctionService {
  constructor(private readonly deps: FunctionServiceDeps) {}

  get scope(): Scope {
    return this.deps.scope;
  }

  #checkRole(roleArn: string): void {
    if (this.deps.lambdaCanAssume && !this.deps.lambdaCanAssume(roleArn)) throw new InvalidParameterValueException(ROLE_NOT_ASSUMABLE);
  }

  /** Resolves a FunctionName path parameter to its $LATEST record or throws AWS's 404. */
  require(functionName: string, qualifier?: string): FunctionRecord {
    const ref = parseFunctionRef(functionName, this.deps.scope);
    const q = qualifier ?? ref.qualifier;
    if (ref.qualifier && qualifier && ref.qualifier !== qualifier) {
      throw new InvalidParameterValueException('The derived qualifier from the function name does not match the specified qualifier.');
    }
    const record = this.deps.store.getFunction(ref.name, q && q !== '$LATEST' ? q : '$LATEST');
    if (!record) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, ref.name, q)}`);
    }
    return record;
  }

  async create(body: CreateFunctionBody): Promise<FunctionRecord> {
    const ref = parseFunctionRef(body.FunctionName, this.deps.scope);
    if (ref.qualifier) {
      throw new InvalidParameterValueException('Unsupported: a qualifier is not allowed in CreateFunction\'s FunctionName.');
    }
    if (body.PackageType === 'Image') {
      throw new InvalidParameterValueException('PackageType Image is not supported by Nimbus; deploy a .zip file archive.');
    }
    if (!body.Runtime) throw new InvalidParameterValueException('Runtime is required for .zip file archive functions.');
    if (!body.Handler) throw new InvalidParameterValueException('Handler is required for .zip file archive functions.');
    if (this.deps.store.getFunction(ref.name)) {
      throw new ResourceConflictException(`Function already exist: ${ref.name}`);
    }
    this.#checkRole(body.Role);
    const layers = this.#resolveLayers(body.Layers);
    const loggingConfig = resolveLoggingConfig(body.LoggingConfig, undefined);
    const code = await this.#storeCode(body.Code);
    await this.#checkLayers(code.key, layers);
    const now = this.deps.clock.now();
    const record: FunctionRecord = {
      name: ref.name,
      version: '$LATEST',
      runtime: body.Runtime,
      handler: body.Handler,
      role: body.Role,
      description: body.Description ?? '',
      timeout: body.Timeout ?? 3,
      memorySize: body.MemorySize ?? 128,
      ephemeralStorage: body.EphemeralStorage?.Size ?? 512,
      environment: body.Environment?.Variables ?? {},
      architectures: body.Architectures ?? ['x86_64'],
      codeSha256: code.sha256,
      codeSize: code.size,
      codeKey: code.key,
      lastModified: lastModifiedNow(now),
      revisionId: randomUUID(),
      tags: body.Tags ?? {},
      ...(layers.length > 0 ? { layers } : {}),
      ...(loggingConfig ? { loggingConfig } : {}),
    };
    if (!this.deps.store.createFunction(record)) {
      throw new ResourceConflictException(`Function already exist: ${ref.name}`);
    }
    return record;
  }

  async updateCode(functionName: string, body: UpdateFunctionCodeBody): Promise<FunctionRecord> {
    const current = this.#requireLatest(functionName);
    this.#checkRevision(current, body.RevisionId);
    const code = await this.#storeCode(body);
    await this.#checkLayers(code.key, current.layers ?? []);
    const next: FunctionRecord = {
      ...current,
      codeSha256: code.sha256,
      codeSize: code.size,
      codeKey: code.key,
      architectures: body.Architectures ?? current.architectures,
      lastModified: lastModifiedNow(this.deps.clock.now()),
      revisionId: randomUUID(),
    };
    if (body.DryRun) return next;
    this.#commit(next, current);
    await this.#collectCode(current.codeKey);
    return next;
  }

  async updateConfiguration(functionName: string, body: UpdateFunctionConfigurationBody): Promise<FunctionRecord> {
    const current = this.#requireLatest(functionName);
    this.#checkRevision(current, body.RevisionId);
    if (body.Role !== undefined) this.#checkRole(body.Role);
    const layers = body.Layers === undefined ? (current.layers ?? []) : this.#resolveLayers(body.Layers);
    if (body.Layers !== undefined) await this.#checkLayers(current.codeKey, layers);
    const next: FunctionRecord = {
      ...current,
      runtime: body.Runtime ?? current.runtime,
      role: body.Role ?? current.role,
      handler: body.Handler ?? current.handler,
      description: body.Description ?? current.description,
      timeout: body.Timeout ?? current.timeout,
      memorySize: body.MemorySize ?? current.memorySize,
      environment: body.Environment ? (body.Environment.Variables ?? {}) : current.environment,
      ephemeralStorage: body.EphemeralStorage?.Size ?? current.ephemeralStorage,
      layers: layers.length > 0 ? layers : undefined,
      loggingConfig: resolveLoggingConfig(body.LoggingConfig, current.loggingConfig),
      lastModified: lastModifiedNow(this.deps.clock.now()),
      revisionId: randomUUID(),
    };
    this.#commit(next, current);
    return next;
  }

  async delete(functionName: string, qualifier?: string): Promise<void> {
    const ref = parseFunctionRef(functionName, this.deps.scope);
    const q = qualifier ?? ref.qualifier;
    if (q && q !== '$LATEST') {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, ref.name, q)}`);
    }
    if (q === '$LATEST') {
      throw new InvalidParameterValueException('$LATEST version cannot be deleted without deleting the function.');
    }
    const removed = this.deps.store.deleteFunction(ref.name);
    if (removed.length === 0) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, ref.name)}`);
    }
    this.deps.onChange?.(ref.name, undefined);
    for (const key of new Set(removed.map((r) => r.codeKey))) await this.#collectCode(key);
  }

  /** After a published version is deleted: removes its code package unless another version uses it. */
  async releaseCodeOf(removed: FunctionRecord): Promise<void> {
    await this.#collectCode(removed.codeKey);
  }

  list(marker: string | undefined, maxItems: number): { items: FunctionRecord[]; nextMarker?: string } {
    const after = marker ? decodeMarker(marker) : undefined;
    const items = this.deps.store.listFunctions(after, maxItems + 1);
    if (items.length <= maxItems) return { items };
    const page = items.slice(0, maxItems);
    return { items: page, nextMarker: encodeMarker(page[page.length - 1]!.name) };
  }

  /** Extracted code folder for a record, re-extracting from the blob store when missing. */
  async codeDir(record: FunctionRecord): Promise<string> {
    return this.deps.codeCache.ensure(hexOf(record.codeKey), () => this.deps.blobs.get(record.codeKey));
  }

  codeStream(record: FunctionRecord): NodeJS.ReadableStream | undefined {
    return this.deps.blobs.createReadStream(record.codeKey);
  }

  arnOf(record: FunctionRecord, qualified = false): string {
    return functionArn(this.deps.scope, record.name, qualified ? record.version : undefined);
  }

  logGroupOf(record: FunctionRecord): string {
    return logGroupOf(record);
  }

  #requireLatest(functionName: string): FunctionRecord {
    const ref = parseFunctionRef(functionName, this.deps.scope);
    const record = this.deps.store.getFunction(ref.name);
    if (!record) throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, ref.name)}`);
    return record;
  }

  #resolveLayers(arns: readonly string[] | undefined): FunctionLayer[] {
    if (!arns || arns.length === 0) return [];
    if (!this.deps.layers) throw new InvalidParameterValueException('Layers are not available in this installation.');
    return this.deps.layers.resolve(arns);
  }

  /** Code plus layers within the unzipped limit; a refused new package is not kept. */
  async #checkLayers(codeKey: string, layers: readonly FunctionLayer[]): Promise<void> {
    if (layers.length === 0 || !this.deps.layers) return;
    try {
      await this.deps.layers.check(await this.deps.codeCache.ensure(hexOf(codeKey), () => this.deps.blobs.get(codeKey)), layers);
    } catch (err) {
      await this.#collectCode(codeKey);
      throw err;
    }
  }

  #checkRevision(current: FunctionRecord, expected: string | undefined): void {
    if (expected !== undefined && expected !== current.revisionId) {
      throw new PreconditionFailedException(
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
    }
  }

  #commit(next: FunctionRecord, current: FunctionRecord): void {
    if (!this.deps.store.updateFunction(next, current.revisionId)) {
      throw new ResourceConflictException(
        `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(this.deps.scope, current.name)}`,
      );
    }
    this.deps.onChange?.(next.name, next);
  }

  async #storeCode(code: { ZipFile?: string; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string; ImageUri?: string }) {
    if (code.ImageUri) throw new InvalidParameterValueException('Container images are not supported by Nimbus; deploy a .zip file archive.');
    let zip: Buffer;
    if (code.S3Bucket !== undefined || code.S3Key !== undefined) {
      zip = await this.#codeFromBucket(code);
    } else {
      if (code.ZipFile === undefined) throw new InvalidParameterValueException('Please provide a source for function code.');
      if (!BASE64.test(code.ZipFile)) {
        throw new InvalidParameterValueException('Could not unzip uploaded file. Please check your file, then try to upload again.');
      }
      zip = Buffer.from(code.ZipFile, 'base64');
      if (zip.length > this.deps.zipMaxBytes) {
        throw new RequestTooLargeException(`Request must be smaller than ${this.deps.zipMaxBytes} bytes for the CreateFunction operation`);
      }
    }
    const digest = digestZip(zip);
    // Extracting validates the archive (and refuses hostile ones) before anything is recorded.
    await this.deps.codeCache.ensure(digest.hex, async () => zip);
    const key = `code/${digest.hex}.zip`;
    if (this.deps.blobs.size(key) !== zip.length) await this.deps.blobs.put(key, zip);
    return { sha256: digest.sha256, size: digest.size, key };
  }

  /** Code named by S3Bucket/S3Key: read from Nimbus's own object store, as Lambda reads S3. */
  async #codeFromBucket(code: { S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string }): Promise<Buffer> {
    if (!code.S3Bucket || !code.S3Key) {
      throw new InvalidParameterValueException('Please provide a source for function code: both S3Bucket and S3Key, or ZipFile.');
    }
    if (!this.deps.bucketCode) throw new InvalidParameterValueException('Code from S3Bucket/S3Key is not available in this installation; send ZipFile.');
    return this.deps.bucketCode(code.S3Bucket, code.S3Key, code.S3ObjectVersion);
  }

  /** Removes a code package once no function version references it. */
  async #collectCode(codeKey: string): Promise<void> {
    if (this.deps.store.countCodeReferences(codeKey) > 0) return;
    await this.deps.blobs.delete(codeKey);
    await this.deps.codeCache.remove(hexOf(codeKey));
  }
}

function hexOf(codeKey: string): string {
  return codeKey.slice('code/'.length, -'.zip'.length);
}

function encodeMarker(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string {
  const name = Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^[a-zA-Z0-9\-_]+$/.test(name)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return name;
}
