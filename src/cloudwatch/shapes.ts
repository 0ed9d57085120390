/**
 * The input shapes of the operations Nimbus serves, as ../shared/aws-models/cloudwatch/
 * service-2.json.gz states them: what each protocol's decoder needs to turn wire values into
 * one document (query fields into lists and numbers, epoch seconds and CBOR tag 1 into Dates).
 * Constraints (required, enums, lengths) are checked after decoding, in operations.ts.
 */

export type Shape =
  | { readonly kind: 'string' | 'integer' | 'double' | 'boolean' | 'timestamp' }
  | { readonly kind: 'list'; readonly member: Shape }
  | { readonly kind: 'map'; readonly value: Shape }
  | { readonly kind: 'structure'; readonly members: Readonly<Record<string, Shape>> };

/** A decoded request or an operation's result: member names as in the model, timestamps as Dates, maps as Map. */
export type Doc = string | number | boolean | Date | readonly Doc[] | ReadonlyMap<string, Doc> | { readonly [member: string]: Doc | undefined };
export type DocStruct = { readonly [member: string]: Doc | undefined };

const STRING = { kind: 'string' } as const;
const INTEGER = { kind: 'integer' } as const;
const BOOLEAN = { kind: 'boolean' } as const;
const TIMESTAMP = { kind: 'timestamp' } as const;
const list = (member: Shape): Shape => ({ kind: 'list', member });
const struct = (members: Record<string, Shape>): Shape => ({ kind: 'structure', members });

const DIMENSION = struct({ Name: STRING, Value: STRING });
const METRIC = struct({ Namespace: STRING, MetricName: STRING, Dimensions: list(DIMENSION) });

export const INPUT_SHAPES: Readonly<Record<string, Shape>> = {
  GetMetricStatistics: struct({
    Namespace: STRING,
    MetricName: STRING,
    Dimensions: list(DIMENSION),
    StartTime: TIMESTAMP,
    EndTime: TIMESTAMP,
    Period: INTEGER,
    Statistics: list(STRING),
    ExtendedStatistics: list(STRING),
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
    Dimensions: list(struct({ Name: STRING, Value: STRING })),
    NextToken: STRING,
    RecentlyActive: STRING,
    IncludeLinkedAccounts: BOOLEAN,
    OwningAccount: STRING,
  }),
};
