import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggableUrl } from './redact.ts';

test('presigned signatures and session tokens leave the logged URL', () => {
  const url = '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAX%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=tok%2Bsecret&X-Amz-Signature=abc123&x=1';
  const logged = loggableUrl(url)!;
  assert.ok(!logged.includes('tok%2Bsecret') && !logged.includes('abc123'), logged);
  assert.match(logged, /X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED&x=1$/);
  assert.match(logged, /X-Amz-Credential=ASIAX/);
  assert.equal(loggableUrl('/2015-03-31/functions/f'), '/2015-03-31/functions/f');
  assert.equal(loggableUrl(undefined), undefined);
});
