import { InvalidParameterValueException, ResourceNotFoundException } from '../errors/index.ts';
import { DEFAULT_EVENT_INVOKE_SETTINGS, type EventInvokeSettings, type EventSettingsLookup } from '../invoke/index.ts';
import type { AliasStore, EventInvokeConfigRecord, EventInvokeConfigStore, MetadataStore } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { LATEST, qualifierKind, validation } from './qualifiers.ts';
import { encodeMarker } from './version-service.ts';

/*
 * Asynchronous invocation settings of a function, version or alias:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
 * Destinations (S3 buckets on failure only):
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */

/** ListFunctionEventInvokeConfigs MaxItems: 1..50 (the model's MaxFunctionEventInvokeConfigListItems). */
export const EVENT_INVOKE_CONFIGS_PAGE_MAX = 50;

/** The model's NumericLatestPublishedOrAliasQualifier: 1..128. */
const QUALIFIER = /^(?:\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_$-]+)$/;
const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
const QUALIFIER_MAX = 128;

/** What Put and Update carry, already checked against the model's limits. */
export interface EventInvokeConfigInput {
  readonly MaximumRetryAttempts?: number | null | undefined;
  readonly MaximumEventAgeInSeconds?: number | null | undefined;
  readonly DestinationConfig?:
    | {
        readonly OnSuccess?: { readonly Destination?: string | null | undefined } | null | undefined;
        readonly OnFailure?: { readonly Destination?: string | null | undefined } | null | undefined;
      }
    | null
    | undefined;
}

export interface EventInvokeConfigServiceDeps {
  readonly store: EventInvokeConfigStore;
  /** Functions and their published versions: qualifiers and Lambda destinations must exist. */
  readonly functions: MetadataStore;
  readonly aliases: AliasStore;
  readonly clock: Clock;
  readonly scope: Scope;
}

/** Where an ARN points, from the model's DestinationArn pattern. */
const DESTINATION_ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):((?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)?):(\d{12})?:(.*)$/;
/** Resource part of each destination type Lambda delivers asynchronous records to. */
const RESOURCES: Readonly<Record<string, RegExp>> = {
  lambda: /^function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/,
  sqs: /^[a-zA-Z0-9_-]{1,80}(\.fifo)?$/,
  sns: /^[a-zA-Z0-9_-]{1,256}(\.fifo)?$/,
  events: /^event-bus\/[a-zA-Z0-9._\-/]{1,256}$/,
  s3: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
};

/**
 * Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s), and the lookup the async queue
 * makes for every event it runs (`settingsFor`).
 */
export class EventInvokeConfigService {
  constructor(private readonly deps: EventInvokeConfigServiceDeps) {}

  /**
   * The settings for an event to functionName (a plain name) at qualifier; undefined and
   * $LATEST are the unqualified function. AWS's defaults where nothing is configured.
   * One prepared-statement read; bound, so it can be handed over as an EventSettingsLookup.
   */
  readonly settingsFor: EventSettingsLookup = (functionName: string, qualifier?: string): EventInvokeSettings => {
    const config = this.deps.store.get(functionName, qualifier ?? LATEST);
    if (!config) return DEFAULT_EVENT_INVOKE_SETTINGS;
    return {
      maximumRetryAttempts: config.maximumRetryAttempts ?? DEFAULT_EVENT_INVOKE_SETTINGS.maximumRetryAttempts,
      maximumEventAgeInSeconds: config.maximumEventAgeInSeconds ?? DEFAULT_EVENT_INVOKE_SETTINGS.maximumEventAgeInSeconds,
      ...(config.onSuccess ? { onSuccess: config.onSuccess } : {}),
      ...(config.onFailure ? { onFailure: config.onFailure } : {}),
    };
  };

  /** PutFunctionEventInvokeConfig: replaces the whole config; members left out are unset. */
  put(functionName: string, qualifier: string | undefined, input: EventInvokeConfigInput) {
    const ref = this.#ref(functionName, qualifier);
    requireSome(input);
    this.#requireTarget(ref.name, ref.qualifier);
    const onSuccess = destinationOf(input.DestinationConfig?.OnSuccess);
    const onFailure = destinationOf(input.DestinationConfig?.OnFailure);
    this.#checkDestinations(ref.name, onSuccess, onFailure);
    const record: EventInvokeConfigRecord = {
      functionName: ref.name,
      qualifier: ref.qualifier,
      ...(isSet(input.MaximumRetryAttempts) ? { maximumRetryAttempts: input.MaximumRetryAttempts } : {}),
      ...(isSet(input.MaximumEventAgeInSeconds) ? { maximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
      ...(onSuccess ? { onSuccess } : {}),
      ...(onFailure ? { onFailure } : {}),
      lastModified: this.deps.clock.now(),
    };
    this.deps.store.put(record);
    return this.#describe(record);
  }

  /**
   * UpdateFunctionEventInvokeConfig: changes the members given and keeps the others. A
   * DestinationConfig given replaces the destinations as a whole, as AWS does.
   */
  update(functionName: string, qualifier: string | undefined, input: EventInvokeConfigInput) {
    const ref = this.#ref(functionName, qualifier);
    requireSome(input);
    this.#requireTarget(ref.name, ref.qualifier);
    const current = this.#require(ref.name, ref.qualifier);
    const destinations = isSet(input.DestinationConfig);
    const onSuccess = destinations ? destinationOf(input.DestinationConfig?.OnSuccess) : current.onSuccess;
    const onFailure = destinations ? destinationOf(input.DestinationConfig?.OnFailure) : current.onFailure;
    if (destinations) this.#checkDestinations(ref.name, onSuccess, onFailure);
    const retries = isSet(input.MaximumRetryAttempts) ? input.MaximumRetryAttempts : current.maximumRetryAttempts;
    const age = isSet(input.MaximumEventAgeInSeconds) ? input.MaximumEventAgeInSeconds : current.maximumEventAgeInSeconds;
    const record: EventInvokeConfigRecord = {
      functionName: ref.name,
      qualifier: ref.qualifier,
      ...(retries !== undefined ? { maximumRetryAttempts: retries } : {}),
      ...(age !== undefined ? { maximumEventAgeInSeconds: age } : {}),
      ...(onSuccess ? { onSuccess } : {}),
      ...(onFailure ? { onFailure } : {}),
      lastModified: this.deps.clock.now(),
    };
    this.deps.store.put(record);
    return this.#describe(record);
  }

  /** GetFunctionEventInvokeConfig */
  get(functionName: string, qualifier: string | undefined) {
    const ref = this.#ref(functionName, qualifier);
    return this.#describe(this.#require(ref.name, ref.qualifier));
  }

  /** DeleteFunctionEventInvokeConfig: a config that does not exist is a 404. */
  delete(functionName: string, qualifier: string | undefined): void {
    const ref = this.#ref(functionName, qualifier);
    if (!this.deps.store.delete(ref.name, ref.qualifier)) throw this.#missing(ref.name, ref.qualifier);
  }

  /** ListFunctionEventInvokeConfigs: every qualifier's config, in qualifier order, a page at a time. */
  list(functionName: string, marker: string | undefined, maxItems: number) {
    const { name } = parseFunctionRef(functionName, this.deps.scope);
    if (!this.deps.functions.getFunction(name)) throw new ResourceNotFoundException("The function doesn't exist.");
    const after = marker === undefined ? undefined : decodeMarker(marker);
    const rows = this.deps.store.list(name, after, maxItems + 1);
    const page = rows.slice(0, maxItems);
    return {
      FunctionEventInvokeConfigs: page.map((r) => this.#describe(r)),
      ...(rows.length > maxItems ? { NextMarker: encodeMarker(page[page.length - 1]!.qualifier) } : {}),
    };
  }

  /** A version or alias was deleted: its config goes with it. */
  forgetQualifier(functionName: string, qualifier: string): void {
    this.deps.store.delete(functionName, qualifier);
  }

  /** A function was deleted: every config of it goes. */
  forget(functionName: string): void {
    this.deps.store.forgetFunction(functionName);
  }

  /** The wire shape: LastModified in epoch seconds (the model's timestamp in rest-json), both destinations always present. */
  #describe(r: EventInvokeConfigRecord) {
    return {
      LastModified: r.lastModified / 1000,
      FunctionArn: functionArn(this.deps.scope, r.functionName, r.qualifier),
      ...(r.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: r.maximumRetryAttempts } : {}),
      ...(r.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: r.maximumEventAgeInSeconds } : {}),
      DestinationConfig: {
        OnSuccess: r.onSuccess ? { Destination: r.onSuccess } : {},
        OnFailure: r.onFailure ? { Destination: r.onFailure } : {},
      },
    };
  }

  /** Name and qualifier (unqualified is $LATEST); a qualifier in the name must agree with the parameter. */
  #ref(functionName: string, qualifier: string | undefined): { name: string; qualifier: string } {
    if (qualifier !== undefined) checkQualifier(qualifier);
    const ref = parseFunctionRef(functionName, this.deps.scope);
    if (ref.qualifier && qualifier !== undefined && ref.qualifier !== qualifier) {
      throw new InvalidParameterValueException('The derived qualifier from the function name does not match the specified qualifier.');
    }
    return { name: ref.name, qualifier: qualifier ?? ref.qualifier ?? LATEST };
  }

  /** The function, and the version or alias the qualifier names, must exist. */
  #requireTarget(name: string, qualifier: string): void {
    if (!this.#exists(name, qualifier)) throw new ResourceNotFoundException("The function doesn't exist.");
  }

  #exists(name: string, qualifier: string): boolean {
    const { functions, aliases } = this.deps;
    switch (qualifierKind(qualifier)) {
      case 'latest':
        return functions.getFunction(name) !== undefined;
      case 'version':
        return functions.getFunction(name, qualifier) !== undefined;
      case 'alias':
        return functions.getFunction(name) !== undefined && aliases.getAlias(name, qualifier) !== undefined;
      default:
        return false;
    }
  }

  #require(name: string, qualifier: string): EventInvokeConfigRecord {
    const config = this.deps.store.get(name, qualifier);
    if (!config) throw this.#missing(name, qualifier);
    return config;
  }

  #missing(name: string, qualifier: string): ResourceNotFoundException {
    return new ResourceNotFoundException(`The function ${functionArn(this.deps.scope, name, qualifier)} doesn't have an EventInvokeConfig`);
  }

  /**
   * Destinations Lambda can deliver records to: a Lambda function (not the function
   * itself, and one that exists when it is in this account and region), an SQS queue, an
   * SNS topic, an EventBridge bus, or (on failure only) an S3 bucket.
   */
  #checkDestinations(name: string, onSuccess: string | undefined, onFailure: string | undefined): void {
    let valid = true;
    for (const [arn, onFailureSide] of [[onFailure, true], [onSuccess, false]] as const) {
      if (arn === undefined) continue;
      const m = DESTINATION_ARN.exec(arn);
      const service = m?.[2] ?? '';
      const region = m?.[3] ?? '';
      const account = m?.[4] ?? '';
      const resource = m?.[5] ?? '';
      const shape = RESOURCES[service];
      const scoped = service === 's3' ? region === '' && account === '' && onFailureSide : region !== '' && account !== '';
      if (!m || !shape || !scoped || !shape.test(resource)) {
        valid = false;
        continue;
      }
      if (service === 'lambda') this.#checkFunctionDestination(name, arn, region, account, resource);
    }
    if (!valid) {
      const success = onSuccess ? `OnSuccess(destination=${onSuccess})` : 'null';
      const failure = onFailure ? `OnFailure(destination=${onFailure})` : 'null';
      throw new InvalidParameterValueException(`The provided destination config DestinationConfig(onSuccess=${success}, onFailure=${failure}) is invalid.`);
    }
  }

  #checkFunctionDestination(name: string, arn: string, region: string, account: string, resource: string): void {
    const [, target, qualifier] = RESOURCES.lambda!.exec(resource)!;
    const { scope } = this.deps;
    // Functions of other accounts or regions are not Nimbus's to check.
    if (region !== scope.region || account !== scope.accountId) return;
    if (target === name) throw new InvalidParameterValueException("You can't specify the function as a destination for itself.");
    if (!this.#exists(target!, qualifier ?? LATEST)) throw new InvalidParameterValueException(`The destination ARN ${arn} is invalid.`);
  }
}

function isSet<T>(v: T | null | undefined): v is T {
  return v !== undefined && v !== null;
}

function destinationOf(side: { readonly Destination?: string | null | undefined } | null | undefined): string | undefined {
  const arn = side?.Destination;
  return arn ? arn : undefined;
}

function requireSome(input: EventInvokeConfigInput): void {
  if (!isSet(input.MaximumRetryAttempts) && !isSet(input.MaximumEventAgeInSeconds) && !isSet(input.DestinationConfig)) {
    throw new InvalidParameterValueException('You must specify at least one of error handling or destination setting.');
  }
}

function checkQualifier(q: string): void {
  if (q.length < 1) throw validation(q, 'qualifier', 'Member must have length greater than or equal to 1');
  if (q.length > QUALIFIER_MAX) throw validation(q, 'qualifier', `Member must have length less than or equal to ${QUALIFIER_MAX}`);
  if (!QUALIFIER.test(q)) throw validation(q, 'qualifier', `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`);
}

function decodeMarker(marker: string): string {
  const q = Buffer.from(marker, 'base64url').toString('utf8');
  if (q.length === 0 || q.length > QUALIFIER_MAX || !QUALIFIER.test(q)) throw new InvalidParameterValueException(`Invalid Marker: ${marker}`);
  return q;
}
