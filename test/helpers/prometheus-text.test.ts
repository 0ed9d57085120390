import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText, sampleValue, sumOf } from './prometheus-text.ts';

describe('parsePrometheusText', () => {
  it("parses the format's own example, escapes, infinities and timestamps included", () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'trailing_comma{a="1",} 2',
    ].join('\n');
    const e = parsePrometheusText(text);
    assert.equal(e.types.get('http_requests_total'), 'counter');
    assert.equal(e.help.get('http_requests_total'), 'The total number of HTTP requests.');
    assert.deepEqual(e.samples[0], { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestamp: 1395066363000 });
    assert.equal(sampleValue(e, 'http_requests_total', { code: '400' }), 3);
    assert.equal(sumOf(e, 'http_requests_total'), 1030);
    assert.deepEqual(e.samples[2]!.labels, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    assert.equal(e.samples[2]!.value, 1.458255915e9);
    assert.equal(sampleValue(e, 'metric_without_timestamp_and_labels'), 12.47);
    assert.equal(e.samples[4]!.value, Infinity);
    assert.equal(e.samples[4]!.timestamp, -3982045);
    assert.deepEqual(e.samples[5]!.labels, { a: '1' });
    assert.equal(sampleValue(e, 'absent_total'), 0);
    assert.throws(() => sampleValue(e, 'http_requests_total'), /2 samples/);
  });

  it('refuses malformed lines', () => {
    for (const bad of ['x{a="1"', 'x{a=1} 2', 'x 1 2 3', 'x abc', '{a="1"} 2', 'x{a="1",a="2"} 1', '# TYPE x nonsense']) {
      assert.throws(() => parsePrometheusText(bad), Error, bad);
    }
  });

  it("reads prom-client's own output: labelled histograms and counters", async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'a "quoted"\\ help', labelNames: ['f'], registers: [registry] });
    const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['f'], buckets: [0.1, 1], registers: [registry] });
    c.labels('a\n"b"').inc(2);
    h.labels('x').observe(0.05);
    h.labels('x').observe(5);
    h.labels('y').observe(0.5);
    const e = parsePrometheusText(await registry.metrics());
    assert.equal(sampleValue(e, 'c_total', { f: 'a\n"b"' }), 2);
    assert.equal(e.types.get('h_seconds'), 'histogram');
    assert.equal(sampleValue(e, 'h_seconds_count', { f: 'x' }), 2);
    assert.equal(sampleValue(e, 'h_seconds_sum', { f: 'x' }), 5.05);
    assert.equal(sampleValue(e, 'h_seconds_bucket', { f: 'x', le: '0.1' }), 1);
    assert.equal(sampleValue(e, 'h_seconds_bucket', { f: 'x', le: '+Inf' }), 2);
    assert.equal(sampleValue(e, 'h_seconds_count', { f: 'y' }), 1);
  });
});
