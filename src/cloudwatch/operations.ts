import { CloudWatchErrors } from '../errors/index.ts';
import { readScope, type Datapoint, type MetricSeries, type MetricsQuery, type ReadScope, type Statistic } from '../metrics/types.ts';
import type { Clock } from '../util/index.ts';
import {
  decodeToken, dimensions, encodeToken, fingerprint, int, isPercentile, missing, PERCENTILE_FORM, period, requireStr, requireTime,
  roundStart, RULES, STATISTICS, str, strings, structs, type StandardStatistic,
} from './params.ts';
import type { Doc, DocStruct } from './shapes.ts';

/** GetMetricStatistics answers at most 1,440 datapoints. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html */
export const MAX_DATAPOINTS = 1440;
/** GetMetricData: 500 queries, 100,800 datapoints per page by default. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html */
export const MAX_QUERIES = 500;
export const DEFAULT_MAX_DATAPOINTS = 100_800;
/**
 * Stored 1-minute datapoints one request may read: AWS's own per-call cap is 100,800 datapoints
 * (and 500 queries) for GetMetricData, 1,440 for GetMetricStatistics; Nimbus's cost is the minutes
 * it reads (about 4 µs each without percentiles, 12 µs with), so it caps those at two full
 * GetMetricData pages, 201,600 (140 series-days: 14 series over 10 days, 500 over 6 hours),
 * under a second of reading, and answers InvalidParameterCombination past it rather than
 * holding the server for minutes. A series queried twice over one range is read once.
 */
export const MAX_MINUTES_READ = 2 * DEFAULT_MAX_DATAPOINTS;
/** ListMetrics: 500 metrics a page; RecentlyActive PT3H. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html */
export const LIST_PAGE = 500;
const RECENT_MS = 3 * 3_600_000;

export type Operation = (input: DocStruct) => DocStruct;

export interface CloudWatchOperationsDeps {
  readonly metrics: MetricsQuery;
  readonly clock: Pick<Clock, 'now'>;
  /** Stored minutes one request may read (MAX_MINUTES_READ). */
  readonly maxMinutesRead?: number;
}

/** The CloudWatch operations Nimbus serves, protocol-free: a decoded input document in, an output document out. */
export class CloudWatchOperations {
  readonly operations: Readonly<Record<string, Operation>>;

  constructor(private readonly deps: CloudWatchOperationsDeps) {
    this.operations = {
      GetMetricStatistics: (i) => this.getMetricStatistics(i),
      GetMetricData: (i) => this.getMetricData(i),
      ListMetrics: (i) => this.listMetrics(i),
    };
  }

  // GetMetricStatistics
  getMetricStatistics(input: DocStruct): DocStruct {
    const namespace = requireStr(input, 'Namespace', 'Namespace', RULES.namespace);
    const metricName = requireStr(input, 'MetricName', 'MetricName', RULES.metricName);
    const dims = dimensions(input, '');
    const { start, end } = this.#window(input);
    const p = period(input, 'Period', 'Period');
    const statistics = strings(input, 'Statistics', 'Statistics', 5);
    const extended = strings(input, 'ExtendedStatistics', 'ExtendedStatistics', 10);
    if (!statistics?.length && !extended?.length) throw new CloudWatchErrors.MissingParameter('At least one of the parameters Statistics and ExtendedStatistics must be specified.');
    if (statistics?.length && extended?.length) throw new CloudWatchErrors.InvalidParameterCombination('Must specify either Statistics or ExtendedStatistics, but not both.');
    statistics?.forEach((s, i) => {
      if (!(STATISTICS as readonly string[]).includes(s)) throw new CloudWatchErrors.InvalidParameterValue(`The parameter Statistics.member.${i + 1} must be a value in the set [ ${STATISTICS.join(', ')} ].`);
    });
    extended?.forEach((s) => {
      if (!isPercentile(s)) throw new CloudWatchErrors.InvalidParameterValue(`The value ${s} for parameter ExtendedStatistics is not valid: it must be ${PERCENTILE_FORM}.`);
    });
    const unit = str(input, 'Unit', 'Unit', RULES.unit);
    const requested = Math.ceil((end - start) / (p.requested * 1000));
    if (requested > MAX_DATAPOINTS) {
      throw new CloudWatchErrors.InvalidParameterCombination(
        `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const scope = this.#scope();
    const points = this.deps.metrics.statistics(
      {
        namespace, metricName, dimensions: dims, startTime: start, endTime: end, period: p.effective,
        statistics: (statistics ?? []) as Statistic[],
        ...(extended?.length ? { extendedStatistics: extended } : {}),
      },
      scope,
    );
    this.#withinBudget(scope);
    return {
      Label: metricName,
      Datapoints: points.filter((d) => unit === undefined || d.unit === unit).map((d) => datapoint(d, statistics ?? [], extended ?? [])),
    };
  }

  // GetMetricData
  getMetricData(input: DocStruct): DocStruct {
    const items = input.MetricDataQueries === undefined ? undefined : structs(input, 'MetricDataQueries', 'MetricDataQueries', MAX_QUERIES);
    if (!items?.length) throw missing('MetricDataQueries');
    const { start, end } = this.#window(input);
    const scanBy = str(input, 'ScanBy', 'ScanBy', { enum: ['TimestampDescending', 'TimestampAscending'] }) ?? 'TimestampDescending';
    const max = int(input, 'MaxDatapoints', 'MaxDatapoints') ?? DEFAULT_MAX_DATAPOINTS;
    if (max < 1) throw new CloudWatchErrors.InvalidParameterValue('The parameter MaxDatapoints must be greater than 0.');
    const ids = new Set<string>();
    const queries = items.map((q, i) => {
      const at = `MetricDataQueries.member.${i + 1}`;
      const id = requireStr(q, 'Id', `${at}.Id`, RULES.metricId);
      if (ids.has(id)) throw new CloudWatchErrors.InvalidParameterValue(`The values for parameter Id in MetricDataQueries are not unique: ${id}.`);
      ids.add(id);
      if (q.Expression !== undefined) {
        throw new CloudWatchErrors.InvalidParameterValue(`${at}.Expression: Nimbus does not evaluate metric math or Metrics Insights expressions; query metrics with MetricStat.`);
      }
      const stat = q.MetricStat as DocStruct | undefined;
      if (stat === undefined) throw new CloudWatchErrors.MissingParameter(`The parameter ${at}.MetricStat is required (Nimbus serves MetricStat queries, not Expression).`);
      const metric = stat.Metric as DocStruct | undefined;
      if (metric === undefined) throw missing(`${at}.MetricStat.Metric`);
      const series: MetricSeries = {
        namespace: requireStr(metric, 'Namespace', `${at}.MetricStat.Metric.Namespace`, RULES.namespace),
        metricName: requireStr(metric, 'MetricName', `${at}.MetricStat.Metric.MetricName`, RULES.metricName),
        dimensions: dimensions(metric, `${at}.MetricStat.Metric.`),
      };
      const p = period(stat, 'Period', `${at}.MetricStat.Period`);
      const statName = requireStr(stat, 'Stat', `${at}.MetricStat.Stat`);
      if (!(STATISTICS as readonly string[]).includes(statName) && !isPercentile(statName)) {
        throw new CloudWatchErrors.InvalidParameterValue(`The value ${statName} for parameter ${at}.MetricStat.Stat is not valid: Nimbus serves ${STATISTICS.join(', ')} and ${PERCENTILE_FORM}.`);
      }
      const unit = str(stat, 'Unit', `${at}.MetricStat.Unit`, RULES.unit);
      const label = str(q, 'Label', `${at}.Label`) ?? series.metricName;
      const returnData = q.ReturnData === undefined ? true : q.ReturnData === true;
      return { id, label, returnData, series, period: p.effective, stat: statName, unit };
    });
    const returned = queries.filter((q) => q.returnData);
    const bound = fingerprint([queries, start, end, scanBy, max]);
    const offset = decodeToken(str(input, 'NextToken', 'NextToken'), bound);

    // One scope for every query: a series read for one query is not read again for the next.
    // Percentile queries go first, so that their read (with sketches) also serves Sum, Average...
    const scope = this.#scope();
    const isStandard = (stat: string) => (STATISTICS as readonly string[]).includes(stat);
    const order = returned.map((_, i) => i).sort((a, b) => Number(isStandard(returned[a]!.stat)) - Number(isStandard(returned[b]!.stat)));
    const series: Array<{ t: number; v: number }[]> = [];
    for (const i of order) {
      const q = returned[i]!;
      const standard = isStandard(q.stat);
      const read = this.deps.metrics.statistics(
        {
          ...q.series, startTime: start, endTime: end, period: q.period,
          statistics: standard ? [q.stat as Statistic] : [],
          ...(standard ? {} : { extendedStatistics: [q.stat] }),
        },
        scope,
      );
      this.#withinBudget(scope);
      const points = read
        .filter((d) => q.unit === undefined || d.unit === q.unit)
        .map((d) => ({ t: d.timestamp, v: standard ? d.values[q.stat as Statistic] : d.extended?.[q.stat] }))
        .filter((x): x is { t: number; v: number } => typeof x.v === 'number');
      points.sort((a, b) => (scanBy === 'TimestampAscending' ? a.t - b.t : b.t - a.t));
      series[i] = points;
    }
    // One page holds `max` datapoints of the results in query order; the token is where the next begins.
    const total = series.reduce((n, s) => n + s.length, 0);
    if (offset > total) throw new CloudWatchErrors.InvalidNextToken('The value of NextToken is not valid for this request.');
    const pageEnd = Math.min(total, offset + max);
    let before = 0;
    const results = returned.map((q, i) => {
      const s = series[i]!;
      const from = Math.min(s.length, Math.max(0, offset - before));
      const to = Math.min(s.length, Math.max(0, pageEnd - before));
      before += s.length;
      const page = s.slice(from, to);
      return {
        Id: q.id,
        Label: q.label,
        Timestamps: page.map((x) => new Date(x.t)),
        Values: page.map((x) => x.v),
        StatusCode: to < s.length ? 'PartialData' : 'Complete',
        Messages: [],
      };
    });
    return { MetricDataResults: results, ...(pageEnd < total ? { NextToken: encodeToken(pageEnd, bound) } : {}), Messages: [] };
  }

  // ListMetrics
  listMetrics(input: DocStruct): DocStruct {
    const namespace = str(input, 'Namespace', 'Namespace', RULES.namespace);
    const metricName = str(input, 'MetricName', 'MetricName', RULES.metricName);
    const filters = structs(input, 'Dimensions', 'Dimensions', 10).map((d, i) => {
      const name = requireStr(d, 'Name', `Dimensions.member.${i + 1}.Name`, RULES.dimensionName);
      const value = str(d, 'Value', `Dimensions.member.${i + 1}.Value`, RULES.dimensionValue);
      return value === undefined ? { name } : { name, value };
    });
    const recently = str(input, 'RecentlyActive', 'RecentlyActive', { enum: ['PT3H'] });
    const bound = fingerprint([namespace, metricName, filters, recently]);
    const offset = decodeToken(str(input, 'NextToken', 'NextToken'), bound);

    let series = this.deps.metrics.list({ ...(namespace ? { namespace } : {}), ...(metricName ? { metricName } : {}), ...(filters.length ? { dimensions: filters } : {}) });
    if (recently) {
      // Data in the last three hours: one 3-hour period of the series has a sample.
      const now = this.deps.clock.now();
      const startTime = Math.floor((now - RECENT_MS) / 60_000) * 60_000;
      series = series.filter((s) => this.deps.metrics.statistics({ ...s, startTime, endTime: now + 1, period: RECENT_MS / 1000 + 60, statistics: ['SampleCount'] }).some((d) => (d.values.SampleCount ?? 0) > 0));
    }
    series = [...series].sort(compareSeries);
    const page = series.slice(offset, offset + LIST_PAGE);
    return {
      Metrics: page.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })),
      })),
      ...(offset + LIST_PAGE < series.length ? { NextToken: encodeToken(offset + LIST_PAGE, bound) } : {}),
    };
  }

  #scope(): ReadScope {
    return readScope(this.deps.maxMinutesRead ?? MAX_MINUTES_READ);
  }

  #withinBudget(scope: ReadScope): void {
    if (!scope.exhausted) return;
    const limit = (this.deps.maxMinutesRead ?? MAX_MINUTES_READ).toLocaleString('en-US');
    throw new CloudWatchErrors.InvalidParameterCombination(
      `The request reads more than ${limit} stored 1-minute datapoints, the most Nimbus reads for one request (AWS caps GetMetricData at ${MAX_QUERIES} queries and ${DEFAULT_MAX_DATAPOINTS.toLocaleString('en-US')} datapoints per call). Reduce the time range or the number of metrics queried.`,
    );
  }

  /** StartTime (inclusive, rounded down as AWS does) before EndTime (exclusive). */
  #window(input: DocStruct): { start: number; end: number } {
    const rawStart = requireTime(input, 'StartTime');
    const end = requireTime(input, 'EndTime');
    if (rawStart >= end) throw new CloudWatchErrors.InvalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
    return { start: roundStart(rawStart, this.deps.clock.now()), end };
  }
}

function datapoint(d: Datapoint, statistics: readonly string[], extended: readonly string[]): DocStruct {
  const out: Record<string, Doc> = { Timestamp: new Date(d.timestamp) };
  // Members in the model's xmlOrder: Timestamp, SampleCount, Average, Sum, Minimum, Maximum, Unit, ExtendedStatistics.
  for (const s of STATISTICS) {
    const v = d.values[s as StandardStatistic];
    if (statistics.includes(s) && typeof v === 'number') out[s] = v;
  }
  out.Unit = d.unit;
  if (extended.length) {
    const values = new Map<string, Doc>();
    for (const p of extended) {
      const v = d.extended?.[p];
      if (typeof v === 'number') values.set(p, v);
    }
    out.ExtendedStatistics = values;
  }
  return out;
}

function compareSeries(a: MetricSeries, b: MetricSeries): number {
  return a.namespace.localeCompare(b.namespace) || a.metricName.localeCompare(b.metricName) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions));
}
