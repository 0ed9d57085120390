import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseConfig } from '../config/index.ts';
import { lambdaRoutes, type RouteDeps } from './routes.ts';

const MODEL = path.resolve(import.meta.dirname, '../../../shared/aws-models/lambda/service-2.json.gz');

function routes() {
  const config = parseConfig({ port: 0, dataDir: '/tmp/unused' });
  // Building the table only reads the scope; handlers (never called here) use the rest.
  const deps = { config, functions: { scope: { region: 'us-east-1', accountId: '123456789012' } } };
  return lambdaRoutes(deps as unknown as RouteDeps);
}

test('every route matches the service model: method, path and operation', { skip: !fs.existsSync(MODEL) && 'service model not found beside the project' }, () => {
  const model = JSON.parse(zlib.gunzipSync(fs.readFileSync(MODEL)).toString('utf8')) as {
    operations: Record<string, { http: { method: string; requestUri: string } }>;
  };
  for (const route of routes()) {
    const op = model.operations[route.operation];
    assert.ok(op, `${route.operation} is an operation of the model`);
    assert.equal(route.method, op.http.method, route.operation);
    const [uriPath, uriQuery] = op.http.requestUri.split('?');
    assert.equal(route.path, uriPath!.replace(/\{(\w+)\}/g, ':$1'), route.operation);
    assert.deepEqual(route.query ?? {}, Object.fromEntries(new URLSearchParams(uriQuery ?? '')), `${route.operation} query`);
  }
});

test('every route names an IAM action and a resource ARN', () => {
  const ctx = { params: { FunctionName: 'f', LayerName: 'l', VersionNumber: '1' }, query: new URLSearchParams() } as never;
  for (const route of routes()) {
    assert.match(route.action, /^lambda:[A-Z]\w+$/, route.operation);
    const arn = route.resource(ctx);
    assert.ok(arn === '*' || /^arn:aws:lambda:us-east-1:123456789012:(function|layer):/.test(arn), `${route.operation}: ${arn}`);
  }
});
