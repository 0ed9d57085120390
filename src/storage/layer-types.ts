/**
 * Storage contracts of Lambda layers. A layer is a name with numbered, immutable versions;
 * numbers are never reused, even after every version was deleted.
 */

/** One published layer version. */
export interface LayerVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** AWS format: 2024-01-01T12:00:00.000+0000 */
  readonly createdDate: string;
  /** As given at publish; absent when not given. */
  readonly compatibleRuntimes?: readonly string[];
  readonly compatibleArchitectures?: readonly string[];
  readonly licenseInfo?: string;
  /** base64 SHA-256 of the zip, as AWS reports CodeSha256. */
  readonly codeSha256: string;
  /** Bytes of the zip. */
  readonly codeSize: number;
  /** Blob key of the zip: layer/<hex>.zip */
  readonly codeKey: string;
  /** Bytes of the extracted content, counted against the function's unzipped limit. */
  readonly unzippedSize: number;
}

/** Which versions a listing keeps: those naming this runtime / architecture. */
export interface LayerFilter {
  readonly runtime?: string;
  readonly architecture?: string;
}

export interface LayerStore {
  /** Records a new version under the next number of the layer (created on first use). */
  publish(version: Omit<LayerVersionRecord, 'version'>): LayerVersionRecord;
  getVersion(name: string, version: number): LayerVersionRecord | undefined;
  /** Versions of one layer matching the filter, newest first, below `before`. */
  listVersions(name: string, filter: LayerFilter, before: number | undefined, limit: number): LayerVersionRecord[];
  /** The newest matching version of each layer, ordered by layer name, after `after`. */
  listLatest(filter: LayerFilter, after: string | undefined, limit: number): LayerVersionRecord[];
  /** Deletes one version; returns it, or undefined when it did not exist. */
  deleteVersion(name: string, version: number): LayerVersionRecord | undefined;
  /** Layer versions plus function versions that hold this layer blob. */
  countCodeReferences(codeKey: string): number;
  /** Remembers a blob kept after its version was deleted, because functions still use it. */
  retain(codeKey: string): void;
  /** Blobs kept that way; collect() drops those no longer referenced. */
  retained(): string[];
  release(codeKey: string): void;
  /** The layer blob lists every function version uses, for clearing unused merged folders. */
  layerListsInUse(): string[][];
}
