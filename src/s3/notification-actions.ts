import { S3Errors } from '../errors/index.ts';
import type { BucketNotifications } from './bucket-notifications.ts';
import type { S3Action } from './context.ts';
import { H } from './headers.ts';
import { renderNotificationConfiguration } from './notification-config.ts';
import { xmlReply } from './object-actions.ts';
import type { ObjectService } from './object-service.ts';
import { readVerifiedBody } from './request-body.ts';
import { parseXmlBody } from './xml.ts';

const SMALL_BODY_MAX = 2 * 1024 * 1024;

/** Put/GetBucketNotificationConfiguration (?notification). */
export function notificationActions(objects: ObjectService, notifications: BucketNotifications | undefined): S3Action[] {
  const require = () => {
    if (!notifications) throw new S3Errors.NotImplemented('The notification sub-resource is not implemented');
    return notifications;
  };
  return [
    // PutBucketNotificationConfiguration
    {
      operation: 'PutBucketNotificationConfiguration',
      target: 'bucket',
      async handle(call) {
        const service = require();
        objects.requireBucket(call.bucket);
        const body = await readVerifiedBody(call.req, SMALL_BODY_MAX);
        const doc = parseXmlBody(body, 'NotificationConfiguration');
        service.put(call.bucket, doc, { skipDestinationValidation: call.header(H.skipDestinationValidation)?.toLowerCase() === 'true' });
        return { status: 200 };
      },
    },
    // GetBucketNotificationConfiguration
    {
      operation: 'GetBucketNotificationConfiguration',
      target: 'bucket',
      async handle(call) {
        const service = require();
        objects.requireBucket(call.bucket);
        return xmlReply(renderNotificationConfiguration(service.get(call.bucket)));
      },
    },
  ];
}
