/**
 * What the object API tells the rest of Nimbus after a change is committed: the hook that
 * bucket notifications (S3 event records delivered to Lambda through the async queue)
 * plug into. Names are AWS's event types.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
 */
export type ObjectEventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectRemoved:Delete';

export interface ObjectEvent {
  readonly eventName: ObjectEventName;
  /** Milliseconds since the epoch. */
  readonly eventTime: number;
  readonly region: string;
  readonly bucket: string;
  /** The key as stored (the S3 record URL-encodes it; the listener does that). */
  readonly key: string;
  /** Bytes; absent for removals. */
  readonly size?: number;
  /** Without quotes; absent for removals. */
  readonly eTag?: string;
  /** Hex string that orders events of one key (greater is later), as the S3 record's sequencer. */
  readonly sequencer: string;
  readonly requestId: string;
  readonly hostId: string;
  readonly sourceIPAddress: string;
}

export interface ObjectEventListener {
  /** Called after the change is durable; must not throw (errors are logged and dropped). */
  onObjectEvent(event: ObjectEvent): void;
}
