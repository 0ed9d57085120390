import type { BlobStore, FunctionLayer, LayerFilter, LayerStore, LayerVersionRecord } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { InvalidParameterValueException, RequestTooLargeException, ResourceNotFoundException } from '../errors/index.ts';
import { CodeCache, digestZip } from './code-package.ts';
import { combinedTooLarge, dirSize, MergedLayers } from './layer-merge.ts';
import { LAYERS_MAX, type PublishLayerVersionBody } from './layer-schemas.ts';
import { lastModifiedNow, type Scope } from './names.ts';

export interface LayerServiceDeps {
  readonly store: LayerStore;
  readonly blobs: BlobStore;
  /** One extracted folder per layer zip: validates it at publish, feeds merges after. */
  readonly extracted: CodeCache;
  readonly merged: MergedLayers;
  readonly clock: Clock;
  readonly scope: Scope;
  readonly zipMaxBytes: number;
  /** Function code plus all its layers, unzipped (AWS: 250 MB). */
  readonly unzippedMaxBytes: number;
}

/** What the function lifecycle asks of layers when a function names some. */
export interface LayerAttacher {
  /** Checks a Layers list (count, existence, one version per layer); snapshots each version. */
  resolve(arns: readonly string[]): FunctionLayer[];
  /** Refuses code + layers past the unzipped limit, and prepares the merged folder. */
  check(codeDir: string, layers: readonly FunctionLayer[]): Promise<void>;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextMarker?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LAYER_NAME = /^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)|([a-zA-Z0-9-_]+))$/;
const LAYER_NAME_MAX = 140;
const VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;
/** Presigned downloads name a layer version this way; function names cannot contain ':'. */
const DOWNLOAD_NAME = /^layer:([a-zA-Z0-9-_]+):(\d+)$/;
const NOT_FOUND = 'The resource you requested does not exist.';

/** Lambda layers: publish, read, list and delete versions, and their use by functions. */
export class LayerService implements LayerAttacher {
  constructor(private readonly deps: LayerServiceDeps) {}

  get scope(): Scope {
    return this.deps.scope;
  }

  layerArn(name: string): string {
    return `arn:aws:lambda:${this.deps.scope.region}:${this.deps.scope.accountId}:layer:${name}`;
  }

  versionArn(record: Pick<LayerVersionRecord, 'name' | 'version'>): string {
    return `${this.layerArn(record.name)}:${record.version}`;
  }

  async publish(layerName: string, body: PublishLayerVersionBody): Promise<LayerVersionRecord> {
    const ref = parseLayerName(layerName, this.deps.scope);
    if (ref.foreign) {
      throw new InvalidParameterValueException(`Layers are published in this account and region only: ${this.layerArn(ref.name)}`);
    }
    const content = body.Content;
    if (!content) throw new InvalidParameterValueException("1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null");
    if (content.S3Bucket || content.S3Key || content.S3ObjectVersion) {
      throw new InvalidParameterValueException('Layer content from S3Bucket/S3Key is not supported yet: Nimbus has no S3 API to read it from. Send Content.ZipFile.');
    }
    if (content.ZipFile === undefined) throw new InvalidParameterValueException('Missing Content');
    if (!BASE64.test(content.ZipFile)) {
      throw new InvalidParameterValueException('Could not unzip uploaded file. Please check your file, then try to upload again.');
    }
    const zip = Buffer.from(content.ZipFile, 'base64');
    if (zip.length > this.deps.zipMaxBytes) {
      throw new RequestTooLargeException(`Request must be smaller than ${this.deps.zipMaxBytes} bytes for the PublishLayerVersion operation`);
    }
    const digest = digestZip(zip);
    // Extracting validates the archive (and refuses hostile ones) before anything is recorded.
    const dir = await this.deps.extracted.ensure(digest.hex, async () => zip);
    const key = `layer/${digest.hex}.zip`;
    if (this.deps.blobs.size(key) !== zip.length) await this.deps.blobs.put(key, zip);
    return this.deps.store.publish({
      name: ref.name,
      description: body.Description ?? '',
      createdDate: lastModifiedNow(this.deps.clock.now()),
      ...(body.CompatibleRuntimes ? { compatibleRuntimes: body.CompatibleRuntimes } : {}),
      ...(body.CompatibleArchitectures ? { compatibleArchitectures: body.CompatibleArchitectures } : {}),
      ...(body.LicenseInfo !== undefined ? { licenseInfo: body.LicenseInfo } : {}),
      codeSha256: digest.sha256,
      codeSize: digest.size,
      codeKey: key,
      unzippedSize: await dirSize(dir),
    });
  }

  get(layerName: string, rawVersion: string): LayerVersionRecord {
    const version = parseVersion(rawVersion);
    const ref = parseLayerName(layerName, this.deps.scope);
    const record = ref.foreign ? undefined : this.deps.store.getVersion(ref.name, version);
    if (!record) throw new ResourceNotFoundException(NOT_FOUND);
    return record;
  }

  getByArn(arn: string | null): LayerVersionRecord {
    const m = VERSION_ARN.exec(arn ?? '');
    if (!m || arn!.length > LAYER_NAME_MAX) {
      throw new InvalidParameterValueException(
        `1 validation error detected: Value '${arn}' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`,
      );
    }
    const [, region, account, name, version] = m;
    const record = region === this.deps.scope.region && account === this.deps.scope.accountId
      ? this.deps.store.getVersion(name!, Number(version))
      : undefined;
    if (!record) throw new ResourceNotFoundException(NOT_FOUND);
    return record;
  }

  /** ListLayerVersions: newest first. A layer without versions lists nothing, as on AWS. */
  listVersions(layerName: string, filter: LayerFilter, marker: string | undefined, maxItems: number): Page<LayerVersionRecord> {
    const ref = parseLayerName(layerName, this.deps.scope);
    if (ref.foreign) return { items: [] };
    const before = marker === undefined ? undefined : decodeVersionMarker(marker);
    const items = this.deps.store.listVersions(ref.name, filter, before, maxItems + 1);
    if (items.length <= maxItems) return { items };
    const page = items.slice(0, maxItems);
    return { items: page, nextMarker: encodeMarker(String(page[page.length - 1]!.version)) };
  }

  /** ListLayers: each layer with its latest version matching the filter, by name. */
  listLatest(filter: LayerFilter, marker: string | undefined, maxItems: number): Page<LayerVersionRecord> {
    const after = marker === undefined ? undefined : decodeNameMarker(marker);
    const items = this.deps.store.listLatest(filter, after, maxItems + 1);
    if (items.length <= maxItems) return { items };
    const page = items.slice(0, maxItems);
    return { items: page, nextMarker: encodeMarker(page[page.length - 1]!.name) };
  }

  /** DeleteLayerVersion: idempotent; functions using the version keep their copy. */
  async delete(layerName: string, rawVersion: string): Promise<void> {
    const version = parseVersion(rawVersion);
    const ref = parseLayerName(layerName, this.deps.scope);
    if (ref.foreign) return;
    const removed = this.deps.store.deleteVersion(ref.name, version);
    if (!removed) return;
    if (this.deps.store.countCodeReferences(removed.codeKey) > 0) {
      this.deps.store.retain(removed.codeKey);
      return;
    }
    await this.#drop(removed.codeKey);
  }

  resolve(arns: readonly string[]): FunctionLayer[] {
    if (arns.length > LAYERS_MAX) throw new InvalidParameterValueException(`Cannot reference more than ${LAYERS_MAX} layers.`);
    const seen = new Map<string, string>();
    return arns.map((arn) => {
      const [, region, account, name, version] = VERSION_ARN.exec(arn) ?? [];
      if (region !== this.deps.scope.region) {
        throw new InvalidParameterValueException(
          `Layers are not in the same region as the function. Layers are expected to be in region ${this.deps.scope.region}.`,
        );
      }
      const record = account === this.deps.scope.accountId ? this.deps.store.getVersion(name!, Number(version)) : undefined;
      if (!record) throw new InvalidParameterValueException(`Layer version ${arn} does not exist.`);
      const layer = arn.slice(0, arn.lastIndexOf(':'));
      const other = seen.get(layer);
      if (other) {
        throw new InvalidParameterValueException(
          `Two different versions of the same layer are not allowed to be referenced in the same function. ${other} and ${arn} are versions of the same layer.`,
        );
      }
      seen.set(layer, arn);
      return { arn, codeSize: record.codeSize, codeSha256: record.codeSha256, codeKey: record.codeKey, unzippedSize: record.unzippedSize };
    });
  }

  async check(codeDir: string, layers: readonly FunctionLayer[]): Promise<void> {
    if (layers.length === 0) return;
    const total = (await dirSize(codeDir)) + layers.reduce((n, l) => n + l.unzippedSize, 0);
    if (total > this.deps.unzippedMaxBytes) throw combinedTooLarge(this.deps.unzippedMaxBytes, total);
    // Merging now refuses a hostile combination at deploy time and readies the first invoke.
    await this.layersDir(layers);
  }

  /** The merged folder of a function's layers (its /opt), built on first use. */
  async layersDir(layers: readonly FunctionLayer[] | undefined): Promise<string | undefined> {
    if (!layers || layers.length === 0) return undefined;
    const keys = layers.map((l) => l.codeKey);
    return this.deps.merged.ensure(MergedLayers.digest(keys), () =>
      Promise.all(keys.map((key) => this.deps.extracted.ensure(hexOf(key), () => this.deps.blobs.get(key)))),
    );
  }

  /** Name a presigned Content.Location is signed for. */
  downloadName(record: Pick<LayerVersionRecord, 'name' | 'version'>): string {
    return `layer:${record.name}:${record.version}`;
  }

  /** The zip behind a verified Content.Location, while its version exists. */
  download(name: string, hex: string): { stream: NodeJS.ReadableStream; size: number } | undefined {
    const m = DOWNLOAD_NAME.exec(name);
    const record = m ? this.deps.store.getVersion(m[1]!, Number(m[2])) : undefined;
    if (!record || record.codeKey !== `layer/${hex}.zip`) return undefined;
    const stream = this.deps.blobs.createReadStream(record.codeKey);
    return stream ? { stream, size: record.codeSize } : undefined;
  }

  /** Drops blobs of deleted versions once no function uses them. Cheap when there are none. */
  async collect(): Promise<void> {
    for (const key of this.deps.store.retained()) {
      if (this.deps.store.countCodeReferences(key) > 0) continue;
      this.deps.store.release(key);
      await this.#drop(key);
    }
  }

  /** At startup: collects, and removes merged folders no function version uses. */
  async sweep(): Promise<void> {
    await this.deps.extracted.sweep();
    await this.collect();
    await this.deps.merged.prune(new Set(this.deps.store.layerListsInUse().map((keys) => MergedLayers.digest(keys))));
  }

  async #drop(codeKey: string): Promise<void> {
    await this.deps.blobs.delete(codeKey);
    await this.deps.extracted.remove(hexOf(codeKey));
  }
}

/** A LayerName path parameter: a name or a layer ARN (foreign when of another account or region). */
export function parseLayerName(input: string, scope: Scope): { name: string; foreign: boolean } {
  const m = LAYER_NAME.exec(input);
  if (!m || input.length > LAYER_NAME_MAX) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${input}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`,
    );
  }
  if (m[4]) return { name: m[4], foreign: false };
  return { name: m[3]!, foreign: m[1] !== scope.region || m[2] !== scope.accountId };
}

function parseVersion(raw: string): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new InvalidParameterValueException(`1 validation error detected: Value '${raw}' at 'versionNumber' failed to satisfy constraint: Member must be a number`);
  }
  if (n < 1) throw new InvalidParameterValueException('Layer Version Cannot be less than 1');
  return n;
}

function hexOf(codeKey: string): string {
  return codeKey.slice('layer/'.length, -'.zip'.length);
}

function encodeMarker(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeNameMarker(marker: string): string {
  const name = Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^[a-zA-Z0-9\-_]+$/.test(name)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return name;
}

function decodeVersionMarker(marker: string): number {
  const raw = Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^\d+$/.test(raw)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return Number(raw);
}
