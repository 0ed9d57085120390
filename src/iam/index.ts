export { IamService, IAM_XMLNS, IAM_VERSION, type IamServiceDeps } from './iam-service.ts';
export { StsService, STS_XMLNS, STS_VERSION, type CanAssume, type StsServiceDeps } from './sts-service.ts';
export { IamCredentialLookup, StoreSessionIssuer, parseRoleArn, rootPrincipal, userPrincipal } from './credentials.ts';
export { IamAuthorizer, type AuthorizationCheck } from './authorizer.ts';
export { ExecutionRoles, LAMBDA_SERVICE } from './execution-roles.ts';
export { canAssume, evaluate, isAllowed, principalContext, type AuthorizationRequest, type Decision, type EvaluationResult, type RequestPrincipal, type ServicePrincipal } from './policy-engine.ts';
export { MalformedPolicyDocumentError, parsePolicy, type PolicyDocument, type PolicyKind } from './policy-parser.ts';
export { isoSeconds, renderError, renderResponse, signingService, type XmlObject, type XmlValue } from './query-protocol.ts';
export type { PrincipalOf } from './query-service.ts';
