import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { startNimbus, type Nimbus } from '../../src/main.ts';
import { writeRootCredentials } from '../../src/auth/index.ts';
import type { ConfigInput } from '../../src/config/index.ts';
import { ensureExecutionRole, STANDARD_TEST_ROLES } from './iam.ts';

export interface TestServer {
  readonly nimbus: Nimbus;
  readonly endpoint: string;
  readonly dataDir: string;
  readonly lambda: LambdaClient;
  close(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDNIMBUSTEST', secretAccessKey: 'nimbus-test-secret' };

/**
 * Makes TEST_CREDENTIALS the root credentials of a data dir, as a user's first start would
 * (the server then reuses the file): every suite signs with them and auth stays on.
 */
export function writeTestCredentials(dataDir: string): string {
  return writeRootCredentials(dataDir, TEST_CREDENTIALS);
}

export interface TestServerOptions {
  /**
   * Execution roles to create (trusting Lambda, with AdministratorAccess) before the suite
   * runs, as CreateFunction's Role must name one; default the suites' role names (r,
   * lambda_basic_execution). Suites that create them themselves pass [].
   */
  readonly executionRoles?: readonly string[];
}

/** A real server on port 0 in a fresh temp data dir, and a Lambda client pointed at it. */
export async function startTestServer(config: Partial<ConfigInput> = {}, dataDir?: string, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-test-'));
  writeTestCredentials(dir);
  const nimbus = await startNimbus({ port: 0, dataDir: dir, logLevel: 'silent', ...config });
  for (const role of options.executionRoles ?? STANDARD_TEST_ROLES) await ensureExecutionRole(nimbus.endpoint, role);
  const lambda = new LambdaClient({
    endpoint: nimbus.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    nimbus,
    endpoint: nimbus.endpoint,
    dataDir: dir,
    lambda,
    async close() {
      lambda.destroy();
      await nimbus.close(1000);
    },
  };
}

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

/** AWS CLI v2 from Debian's awscli package; bare `aws` may be an old v1 shim here. */
export const AWS_CLI = '/usr/bin/aws';
