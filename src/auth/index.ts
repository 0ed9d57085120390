export type { CredentialLookup, Principal, PrincipalType, SessionIssuer, SigningCredential } from './types.ts';
export { AuthError, type AuthReason } from './auth-error.ts';
export { Authenticator, chunkChainOf, MAX_SKEW_MS, type AuthenticatorOptions } from './authenticator.ts';
export { ChunkSignatureChain, EMPTY_SHA256, MAX_PRESIGNED_SECONDS, parseClaim, type SignatureClaim } from './sigv4.ts';
export { QueryAuthError, wireError, type WireProtocol } from './wire-errors.ts';
export {
  cliInstructions,
  loadRootCredentials,
  newKeyPair,
  readRootCredentials,
  RootCredentialLookup,
  ROOT_CREDENTIALS_FILE,
  rootCredentialsPath,
  writeRootCredentials,
  type KeyPair,
} from './root-credentials.ts';
export { RoleCredentialSource, type RoleCredentials } from './role-credentials.ts';
export { AccessDeniedError, ALLOW_ALL, type AccessRequest, type Authorize } from './access.ts';
