import { z } from 'zod';

/*
 * Request bodies of versions and aliases, parsed once (see parseBody in schemas.ts).
 * Field patterns (alias name, version, weights) are checked by the services so that the
 * messages and their order are AWS's.
 * https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html
 */

/** Description: 0..256 characters. */
export const DESCRIPTION_MAX = 256;

const notNull = (field: string) => ({ error: `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null` });

const description = z
  .string()
  .max(DESCRIPTION_MAX, { error: `Value at 'description' failed to satisfy constraint: Member must have length less than or equal to ${DESCRIPTION_MAX}` });

const routingConfig = z
  .object({
    AdditionalVersionWeights: z
      .record(z.string(), z.number({ error: "Value at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must be a number" }))
      .optional(),
  })
  .loose();

export const PublishVersionBody = z
  .object({
    CodeSha256: z.string().optional(),
    Description: description.optional(),
    RevisionId: z.string().optional(),
  })
  .loose();
export type PublishVersionBody = z.infer<typeof PublishVersionBody>;

export const CreateAliasBody = z
  .object({
    Name: z.string(notNull('name')),
    FunctionVersion: z.string(notNull('functionVersion')),
    Description: description.optional(),
    RoutingConfig: routingConfig.optional(),
  })
  .loose();
export type CreateAliasBody = z.infer<typeof CreateAliasBody>;

export const UpdateAliasBody = z
  .object({
    FunctionVersion: z.string().optional(),
    Description: description.optional(),
    RoutingConfig: routingConfig.optional(),
    RevisionId: z.string().optional(),
  })
  .loose();
export type UpdateAliasBody = z.infer<typeof UpdateAliasBody>;
