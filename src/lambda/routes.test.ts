import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseConfig } from '../config/index.ts';
import { lambdaRoutes } from './routes.ts';

const MODEL = path.resolve(import.meta.dirname, '../../../shared/aws-models/lambda/service-2.json.gz');

function routes() {
  const config = parseConfig({ port: 0, dataDir: '/tmp/unused' });
  const stub = {} as never;
  return lambdaRoutes({ config, functions: { scope: { region: 'us-east-1', accountId: '123456789012' } } as never, store: stub, invoker: stub, signer: stub, resolve: stub });
}

test('every route matches the service model: method, path and operation', { skip: !fs.existsSync(MODEL) && 'service model not found beside the project' }, () => {
  const model = JSON.parse(zlib.gunzipSync(fs.readFileSync(MODEL)).toString('utf8')) as {
    operations: Record<string, { http: { method: string; requestUri: string } }>;
  };
  for (const route of routes()) {
    const op = model.operations[route.operation];
    assert.ok(op, `${route.operation} is an operation of the model`);
    assert.equal(route.method, op.http.method, route.operation);
    const modelPath = op.http.requestUri.split('?')[0]!.replace(/\{(\w+)\}/g, ':$1');
    assert.equal(route.path, modelPath, route.operation);
  }
});

test('every route names an IAM action and a resource ARN', () => {
  const ctx = { params: { FunctionName: 'f' }, query: new URLSearchParams() } as never;
  for (const route of routes()) {
    assert.match(route.action, /^lambda:[A-Z]\w+$/, route.operation);
    const arn = route.resource(ctx);
    assert.ok(arn === '*' || arn.startsWith('arn:aws:lambda:us-east-1:123456789012:function:'), `${route.operation}: ${arn}`);
  }
});
