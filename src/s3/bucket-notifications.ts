import type { Logger } from 'pino';
import { S3Errors } from '../errors/index.ts';
import type { NotificationConfigRecord, NotificationStore } from '../storage/index.ts';
import type { ObjectEvent, ObjectEventListener } from './events.ts';
import { destinationError, parseNotificationConfiguration, type UnservedDestination } from './notification-config.ts';
import { eventRecord, notificationMatches, principalIdOf } from './notification-records.ts';

/** The Lambda side as bucket notifications see it (main.ts wires it to the policies and the async queue). */
export interface NotificationTargets {
  /** Whether the function exists and its resource policy lets s3.amazonaws.com invoke it for this bucket. */
  canInvoke(functionArn: string, bucket: string): boolean;
  /** Hands one event (a JSON {"Records":[...]} document) to the function as an Event invocation. */
  invokeAsync(functionArn: string, payload: Buffer): void;
}

export interface BucketNotificationsDeps {
  readonly store: NotificationStore;
  readonly targets: NotificationTargets;
  readonly region: string;
  readonly accountId: string;
  readonly logger: Logger;
}

/**
 * Bucket notifications: the configuration (Put/GetBucketNotificationConfiguration) and,
 * as an ObjectEventListener, the delivery of S3 event records to Lambda functions.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 */
export class BucketNotifications implements ObjectEventListener {
  readonly #principalId: string;

  constructor(private readonly deps: BucketNotificationsDeps) {
    this.#principalId = principalIdOf(deps.accountId);
  }

  /**
   * Replaces the bucket's configuration (an empty document removes it). Like S3, refuses
   * the whole document when any destination cannot be validated.
   */
  put(bucket: string, doc: Record<string, unknown>, options: { skipDestinationValidation?: boolean } = {}): void {
    const { config, unserved } = parseNotificationConfiguration(doc, { region: this.deps.region, accountId: this.deps.accountId });
    const refused: UnservedDestination[] = [...unserved];
    if (!options.skipDestinationValidation) {
      for (const n of config.lambda) {
        if (!this.deps.targets.canInvoke(n.functionArn, bucket)) {
          refused.push({ arn: `${n.functionArn}, null`, reason: `Not authorized to invoke function [${n.functionArn}]` });
        }
      }
    }
    if (refused.length > 0) throw destinationError(refused);
    if (!this.deps.store.putNotifications(bucket, config.lambda.length > 0 ? config : undefined)) {
      throw new S3Errors.NoSuchBucket(undefined, { BucketName: bucket });
    }
  }

  get(bucket: string): NotificationConfigRecord | undefined {
    return this.deps.store.getNotifications(bucket);
  }

  onObjectEvent(event: ObjectEvent): void {
    const config = this.deps.store.getNotifications(event.bucket);
    if (!config) return;
    for (const n of config.lambda) {
      if (!notificationMatches(n, event.eventName, event.key)) continue;
      // S3 invokes as s3.amazonaws.com each time: a permission removed since Put stops delivery.
      if (!this.deps.targets.canInvoke(n.functionArn, event.bucket)) {
        this.deps.logger.warn({ bucket: event.bucket, key: event.key, functionArn: n.functionArn }, 'bucket notification not delivered: the function does not allow s3.amazonaws.com to invoke it');
        continue;
      }
      const payload = Buffer.from(JSON.stringify({ Records: [eventRecord(event, n.id, this.#principalId)] }));
      try {
        this.deps.targets.invokeAsync(n.functionArn, payload);
      } catch (err) {
        this.deps.logger.error({ err, bucket: event.bucket, key: event.key, functionArn: n.functionArn }, 'a bucket notification could not be queued');
      }
    }
  }
}
