export { SecretsService } from './service.ts';
export { SecretsManager, AWSCURRENT, AWSPREVIOUS, type SecretsManagerDeps } from './secrets-manager.ts';
export { randomPassword } from './random-password.ts';
