/**
 * LoggingConfig end to end: validation and round trip through the Lambda API, the JSON
 * records AWS's Node.js and Python runtimes write, level filtering, platform records,
 * a custom log group, and a function printing 100 MB against the log volume cap.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { hostPython } from '../src/sandbox/index.ts';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { zipFiles, type FileMap } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const CAP = 16 * 1024 * 1024;
let server: TestServer;
let logs: CloudWatchLogsClient;

before(async () => {
  server = await startTestServer({ logs: { maxBytes: CAP } });
  logs = new CloudWatchLogsClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  logs?.destroy();
  await server?.close();
});

const NODE_LOGGER = `exports.handler = async (event) => {
  console.trace('t'); console.debug('d'); console.info('i'); console.log('l');
  console.warn('w', { n: 1 }); console.error(new TypeError('bad thing'));
  console.error('with', new Error('inner'));
  return process.env.AWS_LAMBDA_LOG_GROUP_NAME + '|' + process.env.AWS_LAMBDA_LOG_FORMAT + '|' + process.env.AWS_LAMBDA_LOG_LEVEL;
};`;

async function deploy(name: string, files: FileMap, over: Partial<CreateFunctionCommandInput> = {}) {
  return server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles(files) }, ...over }),
  );
}

async function invoke(name: string, payload: unknown = {}) {
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }));
  return { requestId: out.$metadata.requestId!, result: JSON.parse(Buffer.from(out.Payload!).toString('utf8')), out };
}

async function events(group: string): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: group, nextToken }));
    out.push(...(page.events ?? []).map((e) => e.message!));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

describe('LoggingConfig on the Lambda API', () => {
  test('defaults to Text and /aws/lambda/<name>', async () => {
    const created = await deploy('plain', { 'index.js': 'exports.handler = async () => 1;' });
    assert.deepEqual(created.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/plain' });
  });

  test('JSON defaults both levels to INFO; updates merge; Text drops the levels', async () => {
    const created = await deploy('cfg', { 'index.js': 'exports.handler = async () => 1;' }, { LoggingConfig: { LogFormat: 'JSON' } });
    assert.deepEqual(created.LoggingConfig, { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO', LogGroup: '/aws/lambda/cfg' });
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cfg', LoggingConfig: { ApplicationLogLevel: 'WARN', LogGroup: '/custom/cfg' } }));
    const got = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cfg' }));
    assert.deepEqual(got.LoggingConfig, { LogFormat: 'JSON', ApplicationLogLevel: 'WARN', SystemLogLevel: 'INFO', LogGroup: '/custom/cfg' });
    const text = await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cfg', LoggingConfig: { LogFormat: 'Text' } }));
    assert.deepEqual(text.LoggingConfig, { LogFormat: 'Text', LogGroup: '/custom/cfg' });
  });

  test('levels with the Text format, unknown values and bad group names are refused', async () => {
    const bad: [CreateFunctionCommandInput['LoggingConfig'], RegExp][] = [
      [{ LogFormat: 'Text', ApplicationLogLevel: 'DEBUG' }, /^LogLevel is not supported when LogFormat is set to "Text"\. Remove LogLevel from your request or change the LogFormat to "Json" and try again\.$/],
      [{ SystemLogLevel: 'WARN' }, /LogLevel is not supported when LogFormat is set to "Text"/],
      [{ LogFormat: 'XML' as 'JSON' }, /Value 'XML' at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: \[JSON, Text\]/],
      [{ LogFormat: 'JSON', ApplicationLogLevel: 'LOUD' as 'INFO' }, /at 'loggingConfig.applicationLogLevel'/],
      [{ LogFormat: 'JSON', SystemLogLevel: 'ERROR' as 'INFO' }, /enum value set: \[DEBUG, INFO, WARN\]/],
      [{ LogGroup: 'has space' }, /at 'loggingConfig.logGroup' failed to satisfy constraint/],
    ];
    for (const [LoggingConfig, message] of bad) {
      await assert.rejects(deploy('refused', { 'index.js': '' }, { LoggingConfig }), (e: Error) => e.name === 'InvalidParameterValueException' && message.test(e.message), JSON.stringify(LoggingConfig));
    }
  });
});

describe('Node.js runtime under LoggingConfig JSON', () => {
  test('console methods become JSON records, filtered by ApplicationLogLevel; platform records at INFO', async () => {
    await deploy('node-json', { 'index.js': NODE_LOGGER }, { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' } });
    const { requestId, result } = await invoke('node-json');
    assert.equal(result, '/aws/lambda/node-json|JSON|INFO');
    const records = (await events('/aws/lambda/node-json')).map((m) => JSON.parse(m));
    const app = records.filter((r) => r.level);
    assert.deepEqual(app.map((r) => [r.level, typeof r.message === 'string' ? r.message.split('\n')[0] : r.message.errorMessage]), [
      ['INFO', 'i'],
      ['INFO', 'l'],
      ['WARN', 'w { n: 1 }'],
      ['ERROR', 'bad thing'],
      ['ERROR', 'with Error: inner'],
    ]);
    for (const r of app) {
      assert.equal(r.requestId, requestId);
      assert.match(r.timestamp, ISO);
    }
    assert.deepEqual(Object.keys(app[0]), ['timestamp', 'level', 'requestId', 'message']);
    // A lone Error: its fields in message; an Error among other arguments: on the record.
    assert.equal(app[3].message.errorType, 'TypeError');
    assert.ok(Array.isArray(app[3].message.stackTrace));
    assert.match(app[4].message, /^with Error: inner/);
    assert.equal(app[4].errorType, 'Error');
    assert.equal(app[4].errorMessage, 'inner');
    const platform = records.filter((r) => r.type);
    assert.deepEqual(platform.map((r) => r.type), ['platform.start', 'platform.report']);
    assert.deepEqual(platform[0].record, { requestId, functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:node-json', version: '$LATEST' });
    assert.match(platform[0].time, ISO);
    const report = platform[1].record;
    assert.equal(report.requestId, requestId);
    assert.equal(report.status, 'success');
    assert.deepEqual(Object.keys(report.metrics).sort(), ['billedDurationMs', 'durationMs', 'initDurationMs', 'maxMemoryUsedMB', 'memorySizeMB']);
    assert.equal(report.metrics.memorySizeMB, 128);
    assert.ok(!records.some((r) => typeof r === 'string'), 'no text lines');
  });

  test('ApplicationLogLevel ERROR keeps errors only; SystemLogLevel DEBUG adds platform.runtimeDone, WARN drops them all', async () => {
    await deploy('node-quiet', { 'index.js': NODE_LOGGER }, { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'ERROR', SystemLogLevel: 'WARN' } });
    await invoke('node-quiet');
    const quiet = (await events('/aws/lambda/node-quiet')).map((m) => JSON.parse(m));
    assert.deepEqual(quiet.map((r) => r.level ?? r.type), ['ERROR', 'ERROR']);

    await deploy('node-debug', { 'index.js': NODE_LOGGER }, { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'TRACE', SystemLogLevel: 'DEBUG' } });
    const { requestId } = await invoke('node-debug');
    const loud = (await events('/aws/lambda/node-debug')).map((m) => JSON.parse(m));
    assert.deepEqual(loud.map((r) => r.level ?? r.type), ['platform.start', 'TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'ERROR', 'platform.runtimeDone', 'platform.report']);
    const done = loud.find((r) => r.type === 'platform.runtimeDone');
    assert.equal(done.record.requestId, requestId);
    assert.equal(done.record.status, 'success');
  });

  test('a timeout shows in platform.report, not as a text line', async () => {
    await deploy('node-slow', { 'index.js': 'exports.handler = () => new Promise((resolve) => setTimeout(resolve, 5000));' }, { Timeout: 1, LoggingConfig: { LogFormat: 'JSON' } });
    const { out } = await invoke('node-slow');
    assert.equal(out.FunctionError, 'Unhandled');
    const records = (await events('/aws/lambda/node-slow')).map((m) => JSON.parse(m));
    const report = records.find((r) => r.type === 'platform.report');
    assert.equal(report.record.status, 'timeout');
  });

  test('a custom LogGroup receives the logs, /aws/lambda/<name> none', async () => {
    await deploy('routed', { 'index.js': NODE_LOGGER }, { LoggingConfig: { LogFormat: 'Text', LogGroup: '/shared/services' } });
    const { result } = await invoke('routed');
    assert.match(result, /^\/shared\/services\|/);
    const lines = await events('/shared/services');
    assert.ok(lines.some((l) => l.startsWith('START RequestId:')));
    assert.ok(lines.some((l) => /\tINFO\ti$/.test(l)));
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/routed' }));
    assert.deepEqual(groups.logGroups, []);
  });
});

describe('Python runtime under LoggingConfig JSON', { skip: hostPython() ? false : 'no python3 on this host' }, () => {
  test('logging records become JSON with logger and requestId; print stays as printed; levels filter', async () => {
    await deploy(
      'py-json',
      {
        'app.py': [
          'import logging',
          'logger = logging.getLogger("orders")',
          'def handler(event, context):',
          '    logging.debug("hidden")',
          '    logging.info("root info")',
          '    logger.warning("careful %s", 42)',
          '    logger.error("failed", extra={"order": "a-1"})',
          '    print("plain print")',
          '    return "ok"',
        ].join('\n'),
      },
      { Runtime: 'python3.12', Handler: 'app.handler', LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' } },
    );
    const { requestId } = await invoke('py-json');
    const lines = await events('/aws/lambda/py-json');
    assert.ok(lines.includes('plain print'));
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((r) => r.level);
    assert.deepEqual(records.map((r) => [r.level, r.message, r.logger]), [
      ['INFO', 'root info', 'root'],
      ['WARNING', 'careful 42', 'orders'],
      ['ERROR', 'failed', 'orders'],
    ]);
    for (const r of records) {
      assert.equal(r.requestId, requestId);
      assert.match(r.timestamp, ISO);
    }
    assert.equal(records[2].order, 'a-1');
  });
});

describe('log volume', () => {
  test('a function printing 100 MB leaves server memory bounded and the store under logs.maxBytes, drops counted', async () => {
    await deploy(
      'loud',
      {
        'index.js': `exports.handler = async () => {
          const mb = 'y'.repeat(1024 * 1024);
          for (let i = 0; i < 50; i++) console.log(mb);
          const kb = 'z'.repeat(1000);
          for (let i = 0; i < 50 * 1024; i++) console.log(kb);
          return 'done';
        };`,
      },
      { Timeout: 120, MemorySize: 1024 },
    );
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    try {
      const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'loud', LogType: 'Tail', Payload: Buffer.from('{}') }));
      assert.equal(Buffer.from(out.Payload!).toString(), '"done"');
      const tail = Buffer.from(out.LogResult!, 'base64').toString('utf8');
      assert.ok(Buffer.byteLength(tail) <= 4096 && tail.includes('REPORT RequestId:'));
    } finally {
      clearInterval(sampler);
    }
    const store = server.nimbus.logs;
    store.flush();
    assert.ok(store.totalBytes <= CAP, `stored ${store.totalBytes} > cap ${CAP}`);
    assert.ok(store.droppedEvents > 0, 'drops are counted');
    const growth = peak - rss0;
    assert.ok(growth < 300 * 1024 * 1024, `server RSS grew by ${Math.round(growth / 1048576)} MB`);
    // Long lines were split at 256 KB; the newest events survived.
    const lines = await events('/aws/lambda/loud');
    assert.ok(lines.every((l) => Buffer.byteLength(l) <= 256 * 1024));
    assert.ok(lines.some((l) => l.startsWith('REPORT RequestId:')));
  });
});
