import type { FunctionRecord } from '../storage/index.ts';
import { functionArn, type Scope } from './names.ts';
import { loggingConfigShape } from './logging-config.ts';

/**
 * FunctionConfiguration as AWS returns it.
 * https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
 * Nimbus prepares a function synchronously, so State is Active and LastUpdateStatus
 * Successful as soon as a call returns (the function-active-v2 and function-updated-v2
 * waiters succeed on their first poll).
 */
export function toConfiguration(scope: Scope, r: FunctionRecord, qualifiedArn = false) {
  return {
    FunctionName: r.name,
    FunctionArn: functionArn(scope, r.name, qualifiedArn || r.version !== '$LATEST' ? r.version : undefined),
    Runtime: r.runtime,
    Role: r.role,
    Handler: r.handler,
    CodeSize: r.codeSize,
    Description: r.description,
    Timeout: r.timeout,
    MemorySize: r.memorySize,
    LastModified: r.lastModified,
    CodeSha256: r.codeSha256,
    Version: r.version,
    ...(Object.keys(r.environment).length > 0 ? { Environment: { Variables: r.environment } } : {}),
    ...(r.layers?.length ? { Layers: r.layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize })) } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: r.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: r.architectures,
    EphemeralStorage: { Size: r.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${scope.region}::runtime:nimbus-${r.runtime}-node${process.versions.node}` },
    LoggingConfig: loggingConfigShape(r),
  };
}
