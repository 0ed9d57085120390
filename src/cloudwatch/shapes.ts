/**
 * The input shapes of the operations Nimbus serves, as ../shared/aws-models/cloudwatch/
 * service-2.json.gz states them: what each protocol's decoder needs to turn wire values into
 * one document (query fields into lists and numbers, epoch seconds and CBOR tag 1 into Dates).
 * Constraints (required, enums, lengths) are checked after decoding, in operations.ts.
 */

export type Shape =
  | { readonly kind: 'string' | 'integer' | 'double' | 'boolean' | 'timestamp' }
  /** max: the most members the model (or, for MetricDataQueries, the API reference) allows; decoders refuse more as soon as they see them. */
  | { readonly kind: 'list'; readonly member: Shape; readonly max?: number }
  | { readonly kind: 'map'; readonly value: Shape }
  | { readonly kind: 'structure'; readonly members: Readonly<Record<string, Shape>> };

/** A decoded request or an operation's result: member names as in the model, timestamps as Dates, maps as Map. */
export type Doc = string | number | boolean | Date | readonly Doc[] | ReadonlyMap<string, Doc> | { readonly [member: string]: Doc | undefined };
export type DocStruct = { readonly [member: string]: Doc | undefined };

const STRING = { kind: 'string' } as const;
const INTEGER = { kind: 'integer' } as const;
const BOOLEAN = { kind: 'boolean' } as const;
const TIMESTAMP = { kind: 'timestamp' } as const;
const list = (member: Shape, max?: number): Shape => ({ kind: 'list', member, ...(max === undefined ? {} : { max }) });
const struct = (members: Record<string, Shape>): Shape => ({ kind: 'structure', members });

const DIMENSION = struct({ Name: STRING, Value: STRING });
const DIMENSIONS = list(DIMENSION, 30);
const METRIC = struct({ Namespace: STRING, MetricName: STRING, Dimensions: DIMENSIONS });

export const INPUT_SHAPES: Readonly<Record<string, Shape>> = {
  GetMetricStatistics: struct({
    Namespace: STRING,
    MetricName: STRING,
    Dimensions: DIMENSIONS,
    StartTime: TIMESTAMP,
    EndTime: TIMESTAMP,
    Period: INTEGER,
    Statistics: list(STRING, 5),
    ExtendedStatistics: list(STRING, 10),
    Unit: STRING,
  }),
  GetMetricData: struct({
    MetricDataQueries: list(
      struct({
        Id: STRING,
        MetricStat: struct({ Metric: METRIC, Period: INTEGER, Stat: STRING, Unit: STRING }),
        Expression: STRING,
        Label: STRING,
        ReturnData: BOOLEAN,
        Period: INTEGER,
        AccountId: STRING,
      }),
      // The model sets no max; the API reference does. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
      500,
    ),
    StartTime: TIMESTAMP,
    EndTime: TIMESTAMP,
    NextToken: STRING,
    ScanBy: STRING,
    MaxDatapoints: INTEGER,
    LabelOptions: struct({ Timezone: STRING }),
  }),
  ListMetrics: struct({
    Namespace: STRING,
    MetricName: STRING,
    Dimensions: list(struct({ Name: STRING, Value: STRING }), 10),
    NextToken: STRING,
    RecentlyActive: STRING,
    IncludeLinkedAccounts: BOOLEAN,
    OwningAccount: STRING,
  }),
};
