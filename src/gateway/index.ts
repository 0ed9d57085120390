export { Gateway, type GatewayOptions } from './gateway.ts';
export { readBody, BodyTooLargeError } from './body.ts';
export type { Service, VerifyRequest } from './types.ts';
export { handleJsonRequest, type JsonAction, type JsonEndpoint } from './json-endpoint.ts';
