import { z } from 'zod';
import { AWS_RUNTIMES } from './runtimes.ts';

/*
 * Request shapes of the layer actions, with AWS's limits and texts:
 * https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (5 layers a function)
 */

/** Layers a function may reference. */
export const LAYERS_MAX = 5;
/** CompatibleRuntimes holds at most 15 runtimes, CompatibleArchitectures at most 2. */
export const COMPATIBLE_RUNTIMES_MAX = 15;
export const COMPATIBLE_ARCHITECTURES_MAX = 2;
export const LICENSE_INFO_MAX = 512;
/** ListLayers / ListLayerVersions MaxItems: 1..50. */
export const LAYER_LIST_MAX = 50;

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;

/** The model's LayerVersionArn pattern (the Layers member also admits AWS-owned `awslayer` ARNs). */
export const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+$/;
const ARN_MAX = 140;

const validation = (message: string) => `1 validation error detected: ${message}`;
const listText = (values: readonly unknown[]) => `[${values.map(String).join(', ')}]`;

/** Layers of CreateFunction / UpdateFunctionConfiguration: layer version ARNs. */
export const layerArnList = z.array(z.string()).superRefine((arns, ctx) => {
  if (arns.every((a) => a.length >= 1 && a.length <= ARN_MAX && LAYER_VERSION_ARN.test(a))) return;
  ctx.addIssue({
    code: 'custom',
    message: validation(
      `Value '${listText(arns)}' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]`,
    ),
  });
});

const compatibleRuntimes = z.array(z.string()).superRefine((runtimes, ctx) => {
  if (runtimes.length > COMPATIBLE_RUNTIMES_MAX) {
    ctx.addIssue({ code: 'custom', message: validation(`Value '${listText(runtimes)}' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to ${COMPATIBLE_RUNTIMES_MAX}`) });
  } else if (runtimes.some((r) => !AWS_RUNTIMES.has(r))) {
    ctx.addIssue({ code: 'custom', message: validation(`Value '${listText(runtimes)}' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: ${listText([...AWS_RUNTIMES])}`) });
  }
});

const compatibleArchitectures = z.array(z.string()).superRefine((archs, ctx) => {
  if (archs.length > COMPATIBLE_ARCHITECTURES_MAX) {
    ctx.addIssue({ code: 'custom', message: validation(`Value '${listText(archs)}' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to ${COMPATIBLE_ARCHITECTURES_MAX}`) });
  } else if (archs.some((a) => !(ARCHITECTURES as readonly string[]).includes(a))) {
    ctx.addIssue({ code: 'custom', message: validation(`Value '${listText(archs)}' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]`) });
  }
});

// https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
export const PublishLayerVersionBody = z
  .object({
    Content: z
      .object({
        ZipFile: z.string().optional(),
        S3Bucket: z.string().optional(),
        S3Key: z.string().optional(),
        S3ObjectVersion: z.string().optional(),
      })
      .loose()
      .optional(),
    Description: z
      .string()
      .max(256, { error: validation("Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256") })
      .optional(),
    CompatibleRuntimes: compatibleRuntimes.optional(),
    CompatibleArchitectures: compatibleArchitectures.optional(),
    LicenseInfo: z
      .string()
      .max(LICENSE_INFO_MAX, { error: validation(`Value at 'licenseInfo' failed to satisfy constraint: Member must have length less than or equal to ${LICENSE_INFO_MAX}`) })
      .optional(),
  })
  .loose();
export type PublishLayerVersionBody = z.infer<typeof PublishLayerVersionBody>;
