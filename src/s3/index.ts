export { S3Service, type S3ServiceDeps } from './service.ts';
export { ObjectService, type ObjectServiceDeps, type S3Limits } from './object-service.ts';
export type { ObjectEvent, ObjectEventListener, ObjectEventName } from './events.ts';
export { BucketNotifications, type BucketNotificationsDeps, type NotificationTargets } from './bucket-notifications.ts';
