import { randomUUID } from 'node:crypto';
import type { AliasStore, FunctionRecord, MetadataStore, VersionStore } from '../storage/index.ts';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors/index.ts';
import type { FunctionService } from './function-service.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { LATEST, parseQualifiedRef, qualifierKind } from './qualifiers.ts';

export interface VersionServiceDeps {
  readonly store: MetadataStore;
  readonly versions: VersionStore;
  readonly aliases: AliasStore;
  readonly functions: FunctionService;
  /** Called when environments of a function may be outdated (same contract as FunctionService's). */
  readonly onChange?: (name: string, record: FunctionRecord | undefined) => void;
  /** Called when DeleteFunction removed one published version (settings kept per qualifier go with it). */
  readonly onQualifierDeleted?: (name: string, version: string) => void;
  /** Uniform [0, 1): picks the version of a weighted alias. Injected so tests can seed it. */
  readonly random?: () => number;
}

export interface PublishOptions {
  readonly codeSha256?: string | undefined;
  readonly revisionId?: string | undefined;
  readonly description?: string | undefined;
}

/** A function version as a read names it: the record and the ARN the caller used (qualified or not). */
export interface Described {
  readonly record: FunctionRecord;
  readonly functionArn: string;
}

/** ListVersionsByFunction returns at most 50 versions a call. */
export const VERSIONS_PAGE_MAX = 50;

const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

/**
 * Published versions: immutable snapshots of $LATEST's code and configuration, numbered
 * 1, 2, ... and never renumbered, and the resolution of a qualifier ($LATEST, a version,
 * an alias) to the version a call reads or runs.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
 */
export class VersionService {
  readonly #random: () => number;

  constructor(private readonly deps: VersionServiceDeps) {
    this.#random = deps.random ?? Math.random;
  }

  get scope(): Scope {
    return this.deps.functions.scope;
  }

  /** Publishes $LATEST; when nothing changed since the last version, returns that version. */
  publish(functionName: string, opts: PublishOptions = {}): FunctionRecord {
    const { name } = parseFunctionRef(functionName, this.scope);
    const { store, versions } = this.deps;
    const result = versions.atomically(() => {
      const latest = store.getFunction(name);
      if (!latest) throw new ResourceNotFoundException(`Function not found: ${functionArn(this.scope, name)}`);
      if (opts.revisionId !== undefined && opts.revisionId !== latest.revisionId) {
        throw new PreconditionFailedException(REVISION_MISMATCH);
      }
      if (opts.codeSha256 !== undefined && opts.codeSha256 !== latest.codeSha256) {
        throw new InvalidParameterValueException(
          `CodeSHA256 (${opts.codeSha256}) is different from current CodeSHA256 in $LATEST (${latest.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
        );
      }
      if (latest.lastPublishedVersion !== undefined && latest.publishedRevisionId === latest.revisionId) {
        const last = store.getFunction(name, String(latest.lastPublishedVersion));
        if (last) return { version: last, latest: undefined };
      }
      const n = Math.max(latest.lastPublishedVersion ?? 0, versions.maxVersion(name)) + 1;
      const { lastPublishedVersion: _n, publishedRevisionId: _r, ...snapshot } = latest;
      const version: FunctionRecord = {
        ...snapshot,
        version: String(n),
        description: opts.description ?? latest.description,
        revisionId: randomUUID(),
      };
      // $LATEST gets a new revision on publish, as on AWS; remembering it tells a later
      // publish whether anything changed since.
      const revisionId = randomUUID();
      const nextLatest: FunctionRecord = { ...latest, revisionId, lastPublishedVersion: n, publishedRevisionId: revisionId };
      if (!store.createFunction(version) || !store.updateFunction(nextLatest, latest.revisionId)) {
        throw new ResourceConflictException(
          `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(this.scope, name)}`,
        );
      }
      return { version, latest: nextLatest };
    });
    if (result.latest) this.deps.onChange?.(name, result.latest);
    return result.version;
  }

  /** $LATEST and the published versions, in order, a page at a time. */
  listVersions(functionName: string, marker: string | undefined, maxItems: number): { items: FunctionRecord[]; nextMarker?: string } {
    const { name } = parseFunctionRef(functionName, this.scope);
    if (!this.deps.store.getFunction(name)) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.scope, name)}`);
    }
    const after = marker === undefined ? undefined : decodeVersionMarker(marker);
    const limit = Math.min(maxItems, VERSIONS_PAGE_MAX);
    const items = this.deps.versions.listVersions(name, after, limit + 1);
    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    return { items: page, nextMarker: encodeMarker(page[page.length - 1]!.version) };
  }

  /** ListFunctions with FunctionVersion=ALL: every version of every function. */
  listAll(marker: string | undefined, maxItems: number): { items: FunctionRecord[]; nextMarker?: string } {
    const after = marker === undefined ? undefined : decodeAllMarker(marker);
    const items = this.deps.versions.listAll(after, maxItems + 1);
    if (items.length <= maxItems) return { items };
    const page = items.slice(0, maxItems);
    const last = page[page.length - 1]!;
    return { items: page, nextMarker: encodeMarker(`${last.name}:${last.version}`) };
  }

  /**
   * DeleteFunction: without a qualifier the function with all its versions and aliases;
   * with a version number that version only.
   */
  async deleteFunction(functionName: string, qualifier: string | undefined): Promise<void> {
    const ref = parseQualifiedRef(functionName, qualifier, this.scope);
    const { store, versions, aliases, functions } = this.deps;
    if (ref.qualifier === undefined) {
      if (!store.getFunction(ref.name)) {
        throw new ResourceNotFoundException(`Function not found: ${functionArn(this.scope, ref.name)}`);
      }
      // Aliases first: a crash in between leaves a function without aliases, never aliases without a function.
      aliases.deleteAliasesOf(ref.name);
      await functions.delete(ref.name);
      return;
    }
    const q = ref.qualifier;
    if (q === LATEST) throw new InvalidParameterValueException('$LATEST version cannot be deleted without deleting the function.');
    if (qualifierKind(q) !== 'version') throw new InvalidParameterValueException('Deletion of aliases is not currently supported.');
    const removed = versions.atomically(() => {
      const latest = store.getFunction(ref.name);
      if (!latest) throw new ResourceNotFoundException(`Function not found: ${functionArn(this.scope, ref.name)}`);
      const users = aliases.aliasesReferencing(ref.name, q);
      if (users.length > 0) {
        throw new ResourceConflictException(`Unable to delete version because the following aliases reference it: [${users.join(', ')}]`);
      }
      // Deleting a version that does not exist succeeds, as on AWS.
      const record = versions.deleteVersion(ref.name, q);
      return record && { record, latest };
    });
    if (!removed) return;
    this.deps.onQualifierDeleted?.(ref.name, q);
    this.deps.onChange?.(ref.name, removed.latest);
    await functions.releaseCodeOf(removed.record);
  }

  /** A version of the function whose code package is codeKey (for Code.Location downloads). */
  withCode(functionName: string, codeKey: string): FunctionRecord | undefined {
    return this.deps.versions.findByCode(functionName, codeKey);
  }

  /** The version a read (GetFunction, GetFunctionConfiguration) names; an alias reads its primary version. */
  describe(functionName: string, qualifier: string | undefined): Described {
    return this.#target(functionName, qualifier, false);
  }

  /** The version an invocation runs; a weighted alias picks one of its two versions at random. */
  resolveForInvoke(functionName: string, qualifier: string | undefined): FunctionRecord {
    return this.#target(functionName, qualifier, true).record;
  }

  #target(functionName: string, qualifier: string | undefined, pick: boolean): Described {
    const ref = parseQualifiedRef(functionName, qualifier, this.scope);
    const { store, aliases } = this.deps;
    const q = ref.qualifier;
    let record: FunctionRecord | undefined;
    switch (q === undefined ? 'latest' : qualifierKind(q)) {
      case 'latest':
        record = store.getFunction(ref.name);
        break;
      case 'version':
        record = store.getFunction(ref.name, q);
        break;
      case 'alias': {
        const alias = aliases.getAlias(ref.name, q!);
        if (!alias) break;
        const version = pick ? pickVersion(alias.functionVersion, alias.additionalVersionWeights, this.#random) : alias.functionVersion;
        record = store.getFunction(ref.name, version);
        break;
      }
    }
    const arn = functionArn(this.scope, ref.name, q);
    if (!record) throw new ResourceNotFoundException(`Function not found: ${arn}`);
    return { record, functionArn: arn };
  }
}

/** Weighted routing: the additional version gets its weight's share, the primary the rest. */
export function pickVersion(primary: string, weights: Readonly<Record<string, number>> | undefined, random: () => number): string {
  if (!weights) return primary;
  let r = random();
  for (const [version, weight] of Object.entries(weights)) {
    if (r < weight) return version;
    r -= weight;
  }
  return primary;
}

export function encodeMarker(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeVersionMarker(marker: string): string {
  const v = Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^(\$LATEST|[0-9]{1,15})$/.test(v)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return v;
}

function decodeAllMarker(marker: string): { name: string; version: string } {
  const m = /^([a-zA-Z0-9_-]+):(\$LATEST|[0-9]{1,15})$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!m) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return { name: m[1]!, version: m[2]! };
}
