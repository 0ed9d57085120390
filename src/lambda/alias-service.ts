import { randomUUID } from 'node:crypto';
import type { AliasRecord, AliasStore, MetadataStore, VersionStore } from '../storage/index.ts';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors/index.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { checkAliasName, checkVersion, LATEST } from './qualifiers.ts';
import { encodeMarker } from './version-service.ts';
import type { CreateAliasBody, UpdateAliasBody } from './versioning-schemas.ts';

export interface AliasServiceDeps {
  readonly store: MetadataStore;
  readonly versions: VersionStore;
  readonly aliases: AliasStore;
  readonly scope: Scope;
  /** Called when DeleteAlias removed an alias (settings kept per qualifier go with it). */
  readonly onQualifierDeleted?: (functionName: string, aliasName: string) => void;
}

/** ListAliases pages hold at most 50 aliases, as ListVersionsByFunction's. */
export const ALIASES_PAGE_MAX = 50;

const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

/**
 * Aliases: a name for a published version (or $LATEST), optionally splitting invocations
 * with one additional version by weight.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
 */
export class AliasService {
  constructor(private readonly deps: AliasServiceDeps) {}

  create(functionName: string, body: CreateAliasBody): AliasRecord {
    const name = this.#functionName(functionName);
    checkAliasName(body.Name);
    checkVersion(body.FunctionVersion);
    return this.deps.versions.atomically(() => {
      this.#requireVersion(name, body.FunctionVersion);
      if (this.deps.aliases.getAlias(name, body.Name)) {
        throw new ResourceConflictException(`Alias already exists: ${this.arnOf(name, body.Name)}`);
      }
      const weights = this.#routing(name, body.FunctionVersion, body.RoutingConfig?.AdditionalVersionWeights);
      const alias: AliasRecord = {
        functionName: name,
        name: body.Name,
        functionVersion: body.FunctionVersion,
        description: body.Description ?? '',
        ...(weights ? { additionalVersionWeights: weights } : {}),
        revisionId: randomUUID(),
      };
      if (!this.deps.aliases.createAlias(alias)) {
        throw new ResourceConflictException(`Alias already exists: ${this.arnOf(name, body.Name)}`);
      }
      return alias;
    });
  }

  get(functionName: string, aliasName: string): AliasRecord {
    const name = this.#functionName(functionName);
    checkAliasName(aliasName);
    return this.#require(name, aliasName);
  }

  update(functionName: string, aliasName: string, body: UpdateAliasBody): AliasRecord {
    const name = this.#functionName(functionName);
    checkAliasName(aliasName);
    if (body.FunctionVersion !== undefined) checkVersion(body.FunctionVersion);
    return this.deps.versions.atomically(() => {
      const current = this.#require(name, aliasName);
      if (body.RevisionId !== undefined && body.RevisionId !== current.revisionId) {
        throw new PreconditionFailedException(REVISION_MISMATCH);
      }
      const functionVersion = body.FunctionVersion ?? current.functionVersion;
      if (body.FunctionVersion !== undefined) this.#requireVersion(name, functionVersion);
      // A RoutingConfig replaces the routing (an empty one removes it); without one the
      // current routing stays and must still suit the (new) primary version.
      const weights = this.#routing(
        name,
        functionVersion,
        body.RoutingConfig !== undefined ? body.RoutingConfig.AdditionalVersionWeights : current.additionalVersionWeights,
      );
      const { additionalVersionWeights: _w, ...rest } = current;
      const next: AliasRecord = {
        ...rest,
        functionVersion,
        description: body.Description ?? current.description,
        ...(weights ? { additionalVersionWeights: weights } : {}),
        revisionId: randomUUID(),
      };
      if (!this.deps.aliases.updateAlias(next, current.revisionId)) throw new PreconditionFailedException(REVISION_MISMATCH);
      return next;
    });
  }

  /** Deleting an alias that does not exist succeeds (DeleteAlias has no not-found error). */
  delete(functionName: string, aliasName: string): void {
    const name = this.#functionName(functionName);
    checkAliasName(aliasName);
    this.deps.aliases.deleteAlias(name, aliasName);
    this.deps.onQualifierDeleted?.(name, aliasName);
  }

  list(functionName: string, opts: { marker?: string | undefined; maxItems: number; functionVersion?: string | undefined }) {
    const name = this.#functionName(functionName);
    if (opts.functionVersion !== undefined) checkVersion(opts.functionVersion);
    if (!this.deps.store.getFunction(name)) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, name)}`);
    }
    const after = opts.marker === undefined ? undefined : decodeAliasMarker(opts.marker);
    const limit = Math.min(opts.maxItems, ALIASES_PAGE_MAX);
    const items = this.deps.aliases.listAliases(name, after, limit + 1, opts.functionVersion);
    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    return { items: page, nextMarker: encodeMarker(page[page.length - 1]!.name) };
  }

  arnOf(functionName: string, aliasName: string): string {
    return functionArn(this.deps.scope, functionName, aliasName);
  }

  #functionName(functionName: string): string {
    return parseFunctionRef(functionName, this.deps.scope).name;
  }

  #require(name: string, aliasName: string): AliasRecord {
    const alias = this.deps.aliases.getAlias(name, aliasName);
    if (!alias) throw new ResourceNotFoundException(`Cannot find alias arn: ${this.arnOf(name, aliasName)}`);
    return alias;
  }

  #requireVersion(name: string, version: string): void {
    if (!this.deps.store.getFunction(name, version)) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(this.deps.scope, name, version)}`);
    }
  }

  /** Validates AdditionalVersionWeights in AWS's order; an empty map means no routing. */
  #routing(name: string, primary: string, weights: Readonly<Record<string, number>> | undefined): Record<string, number> | undefined {
    if (!weights || Object.keys(weights).length === 0) return undefined;
    const entries = Object.entries(weights);
    if (entries.length > 1) {
      throw new InvalidParameterValueException('Number of items in AdditionalVersionWeights cannot be greater than 1');
    }
    const [version, weight] = entries[0]!;
    const shown = `{${version}=${Number.isInteger(weight) ? weight.toFixed(1) : String(weight)}}`;
    // Weights are shares in [0, 1): the primary version always keeps some traffic.
    if (!(weight >= 0 && weight < 1)) {
      throw new InvalidParameterValueException(
        `1 validation error detected: Value '${shown}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`,
      );
    }
    if (version === primary) {
      throw new InvalidParameterValueException(
        `Invalid function version ${primary}. Function version ${primary} is already included in routing configuration.`,
      );
    }
    if (primary === LATEST) {
      throw new InvalidParameterValueException('$LATEST is not supported for an alias pointing to more than 1 version');
    }
    if (!/^[0-9]+$/.test(version) || version.length > 1024) {
      throw new InvalidParameterValueException(
        `1 validation error detected: Value '${shown}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]`,
      );
    }
    this.#requireVersion(name, version);
    return { [version]: weight };
  }
}

function decodeAliasMarker(marker: string): string {
  const name = Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(name)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return name;
}
