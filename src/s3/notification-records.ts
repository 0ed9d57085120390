import { createHash } from 'node:crypto';
import type { LambdaNotification } from '../storage/index.ts';
import type { ObjectEvent } from './events.ts';
import { eventCovers } from './notification-config.ts';

/*
 * The event record S3 delivers to a notification's destination.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

/** Bytes S3 leaves as they are in a record's key: letters, digits, and . - * _ / */
const KEEP = /[A-Za-z0-9.\-*_/]/;

/**
 * A key as S3 writes it in event records: form-URL-encoded (a space is '+', other bytes
 * %XX of their UTF-8) except that '/' stays; clients decode it with unquote_plus.
 */
export function encodeEventKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === ' ') out += '+';
    else if (KEEP.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Whether a configuration wants this event for this key. Filter values are compared with
 * the key as the record carries it (URL-encoded), which is why S3 asks for '+' in place
 * of a space in a prefix or suffix.
 */
export function notificationMatches(n: LambdaNotification, eventName: string, key: string): boolean {
  if (!n.events.some((e) => eventCovers(e, eventName))) return false;
  const encoded = encodeEventKey(key);
  return n.filterRules.every((r) => (r.name === 'Prefix' ? encoded.startsWith(r.value) : encoded.endsWith(r.value)));
}

/**
 * The principal id S3 reports for the account (bucket owner and, Nimbus having no IAM
 * users, the caller): a stable id in the shape of an Amazon customer id.
 */
export function principalIdOf(accountId: string): string {
  const digest = createHash('sha256').update(`nimbus:principal:${accountId}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = 'A';
  for (let i = 0; i < 13; i++) id += alphabet[digest[i]! % alphabet.length];
  return id;
}

/** One record, as S3 builds it for event version 2.1. */
export function eventRecord(event: ObjectEvent, configurationId: string, principalId: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeEventKey(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.eTag !== undefined) object.eTag = event.eTag;
  object.sequencer = event.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: event.region,
    eventTime: new Date(event.eventTime).toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId },
    requestParameters: { sourceIPAddress: event.sourceIPAddress.replace(/^::ffff:/, '') },
    responseElements: { 'x-amz-request-id': event.requestId, 'x-amz-id-2': event.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: event.bucket, ownerIdentity: { principalId }, arn: `arn:aws:s3:::${event.bucket}` },
      object,
    },
  };
}
