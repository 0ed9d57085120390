/**
 * Storage contracts of published versions and aliases. Versions are FunctionRecords in
 * the metadata store (version "1", "2", ...); these add what the MetadataStore does not
 * cover: listing them, deleting one, and running several calls as one atomic unit.
 */
import type { FunctionRecord } from './types.ts';

/** Where a listing of all versions of all functions resumes: after (name, version). */
export interface VersionCursor {
  readonly name: string;
  readonly version: string;
}

export interface VersionStore {
  /**
   * Runs fn as one transaction over the metadata database: every store call made inside
   * commits together, or not at all when fn throws.
   */
  atomically<T>(fn: () => T): T;
  /** $LATEST then the published versions of a function in ascending number, after `after`. */
  listVersions(name: string, after: string | undefined, limit: number): FunctionRecord[];
  /** Every version of every function, ordered by name then $LATEST then number. */
  listAll(after: VersionCursor | undefined, limit: number): FunctionRecord[];
  /** Highest published version number a function has stored (0 when none). */
  maxVersion(name: string): number;
  /** Deletes one published version; returns it, or undefined when it did not exist. */
  deleteVersion(name: string, version: string): FunctionRecord | undefined;
  /** Some version of the function whose code is this blob, if any. */
  findByCode(name: string, codeKey: string): FunctionRecord | undefined;
}

/** An alias: a name for one version, optionally sharing traffic with a second one. */
export interface AliasRecord {
  readonly functionName: string;
  readonly name: string;
  readonly functionVersion: string;
  readonly description: string;
  /** Additional version → share of invocations it receives (0..1). Absent: no routing. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
  readonly revisionId: string;
}

export interface AliasStore {
  getAlias(functionName: string, name: string): AliasRecord | undefined;
  /** Inserts an alias; returns false when the name is taken. */
  createAlias(alias: AliasRecord): boolean;
  /** Replaces an alias whose current revision is expectedRevisionId; false on a lost race. */
  updateAlias(alias: AliasRecord, expectedRevisionId: string): boolean;
  /** Returns whether an alias was removed. */
  deleteAlias(functionName: string, name: string): boolean;
  /** Aliases of a function by name after `after`; with `version`, only those whose primary version it is. */
  listAliases(functionName: string, after: string | undefined, limit: number, version?: string): AliasRecord[];
  /** Names of aliases that route any traffic to a version (primary or additional). */
  aliasesReferencing(functionName: string, version: string): string[];
  /** Removes every alias of a function (when the function itself is deleted). */
  deleteAliasesOf(functionName: string): number;
}
