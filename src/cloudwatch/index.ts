export { CloudWatchService, BODY_MAX, type CloudWatchServiceDeps, type VerifyCloudWatch } from './service.ts';
export { CloudWatchOperations, DEFAULT_MAX_DATAPOINTS, LIST_PAGE, MAX_DATAPOINTS, MAX_MINUTES_READ, MAX_QUERIES, type CloudWatchOperationsDeps } from './operations.ts';
export { CLOUDWATCH_VERSION, CLOUDWATCH_XMLNS, detectProtocol, SIGNING_NAME, TARGET_PREFIX, type Protocol } from './wire.ts';
export { decodeCbor, encodeCbor } from './cbor.ts';
