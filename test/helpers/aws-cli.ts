import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { AWS_CLI } from './server.ts';

/** Whether /usr/bin/aws is the AWS CLI v2. With CI=true a missing CLI fails instead of skipping. */
export function awsCliSkipReason(): string | false {
  const why = !fs.existsSync(AWS_CLI)
    ? `${AWS_CLI} is missing (install Debian's awscli package)`
    : false;
  if (why && process.env.CI === 'true') throw new Error(`CI=true and ${why}: this suite cannot be skipped in CI`);
  return why;
}

export interface AwsResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs /usr/bin/aws with a clean, isolated configuration against the endpoint. */
export function aws(endpoint: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<AwsResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'AKIDNIMBUSTEST',
    AWS_SECRET_ACCESS_KEY: 'nimbus-test-secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve) => {
    execFile(AWS_CLI, [...args, '--endpoint-url', endpoint], { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
