import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ALLOW_ALL, type Authorize } from '../auth/index.ts';
import { handleJsonRequest, type JsonEndpoint, type Service, type VerifyRequest } from '../gateway/index.ts';
import { JsonErrors } from '../errors/index.ts';
import { randomPassword } from './random-password.ts';
import {
  CreateSecretRequest,
  DeleteSecretRequest,
  GetRandomPasswordRequest,
  GetSecretValueRequest,
  ListSecretsRequest,
  ListSecretVersionIdsRequest,
  parseRequest,
  PutSecretValueRequest,
  SecretIdRequest,
  UpdateSecretRequest,
} from './schemas.ts';
import type { SecretsManager } from './secrets-manager.ts';

const TARGET_PREFIX = 'secretsmanager.';
/** Values are at most 64 KB (base64 a third more); a body past 1 MB is not a Secrets Manager request. */
const BODY_MAX = 1024 * 1024;

/** An action gets the parsed body and the ARN it was authorized on ("*" for ListSecrets, GetRandomPassword). */
type Action = (body: unknown, resource: string) => unknown;

/**
 * The Secrets Manager API (JSON 1.1, X-Amz-Target: secretsmanager.<Action>) over
 * SecretsManager: what `@aws-sdk/client-secrets-manager` and `aws secretsmanager` speak.
 */
export class SecretsService implements Service {
  readonly name = 'secretsmanager';
  readonly #actions: Record<string, Action>;
  readonly #endpoint: JsonEndpoint;

  constructor(
    private readonly secrets: SecretsManager,
    private readonly logger: Logger,
    /** SigV4 over the body; without it nothing is checked. */
    private readonly verify: VerifyRequest = (_req, read) => read(),
    /** IAM authorization of secretsmanager:<Action> on the secret's ARN; without it everything is allowed. */
    private readonly authorize: Authorize = ALLOW_ALL,
  ) {
    this.#actions = {
      // CreateSecret (secretsmanager:CreateSecret), authorized on the ARN the secret will have.
      CreateSecret: (b, arn) => secrets.create(parseRequest(CreateSecretRequest, b), arn === '*' ? undefined : arn),
      // GetSecretValue (secretsmanager:GetSecretValue)
      GetSecretValue: (b) => secrets.getValue(parseRequest(GetSecretValueRequest, b)),
      // PutSecretValue (secretsmanager:PutSecretValue)
      PutSecretValue: (b) => secrets.putValue(parseRequest(PutSecretValueRequest, b)),
      // UpdateSecret (secretsmanager:UpdateSecret)
      UpdateSecret: (b) => secrets.update(parseRequest(UpdateSecretRequest, b)),
      // DescribeSecret (secretsmanager:DescribeSecret)
      DescribeSecret: (b) => secrets.describe(parseRequest(SecretIdRequest, b).SecretId),
      // ListSecrets (secretsmanager:ListSecrets)
      ListSecrets: (b) => secrets.list(parseRequest(ListSecretsRequest, b)),
      // ListSecretVersionIds (secretsmanager:ListSecretVersionIds)
      ListSecretVersionIds: (b) => secrets.listVersionIds(parseRequest(ListSecretVersionIdsRequest, b)),
      // DeleteSecret (secretsmanager:DeleteSecret)
      DeleteSecret: (b) => secrets.delete(parseRequest(DeleteSecretRequest, b)),
      // RestoreSecret (secretsmanager:RestoreSecret)
      RestoreSecret: (b) => secrets.restore(parseRequest(SecretIdRequest, b).SecretId),
      // GetRandomPassword (secretsmanager:GetRandomPassword)
      GetRandomPassword: (b) => ({ RandomPassword: randomPassword(parseRequest(GetRandomPasswordRequest, b)) }),
    };
    this.#endpoint = {
      targetPrefix: TARGET_PREFIX,
      bodyMax: BODY_MAX,
      verify: this.verify,
      logger: this.logger,
      label: 'the Secrets Manager API',
      action: (name) => {
        const fn = this.#actions[name];
        if (!fn) return undefined;
        return (body, req) => {
          // Secrets whose recovery window has passed are gone before anything reads them.
          this.secrets.purge();
          const resource = this.#resourceOf(name, body);
          this.authorize(req, { action: `secretsmanager:${name}`, resource, ...(resource !== '*' ? { context: { 'secretsmanager:SecretId': resource } } : {}) });
          return fn(body, resource);
        };
      },
      internalError: () => new JsonErrors.InternalServiceError('An error occurred on the server side; see the Nimbus server log.'),
      tooLarge: (max) => new JsonErrors.ValidationException(`The request body is larger than ${max} bytes.`),
    };
  }

  matches(req: IncomingMessage): boolean {
    const target = req.headers['x-amz-target'];
    return typeof target === 'string' && target.startsWith(TARGET_PREFIX);
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return handleJsonRequest(this.#endpoint, req, res);
  }

  /**
   * The ARN an action is authorized on: the secret's (a name or partial ARN resolved to it; one
   * not found is named as given, so a caller without rights learns nothing of its existence),
   * the new secret's for CreateSecret, "*" for ListSecrets and GetRandomPassword.
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
   */
  #resourceOf(action: string, body: Record<string, unknown>): string {
    if (action === 'CreateSecret') return typeof body.Name === 'string' ? this.secrets.newArn(body.Name) : '*';
    if (action === 'ListSecrets' || action === 'GetRandomPassword') return '*';
    return typeof body.SecretId === 'string' ? this.secrets.arnOf(body.SecretId) : '*';
  }
}
