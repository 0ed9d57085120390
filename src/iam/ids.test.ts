import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessKeyId, ID_PREFIX, secretAccessKey, sessionToken, uniqueId } from './ids.ts';

test('unique ids are 21 uppercase base32 characters after their prefix', () => {
  for (const prefix of [ID_PREFIX.user, ID_PREFIX.role, ID_PREFIX.policy]) {
    const id = uniqueId(prefix);
    assert.match(id, new RegExp(`^${prefix}[A-Z2-7]{17}$`));
    assert.equal(id.length, 21);
  }
});

test('access key ids are 20 characters, AKIA for users and ASIA for sessions', () => {
  assert.match(accessKeyId(ID_PREFIX.accessKey), /^AKIA[A-Z2-7]{16}$/);
  assert.match(accessKeyId(ID_PREFIX.sessionKey), /^ASIA[A-Z2-7]{16}$/);
});

test('secrets are 40 base64 characters and tokens are long; none repeat', () => {
  const secrets = new Set(Array.from({ length: 200 }, () => secretAccessKey()));
  assert.equal(secrets.size, 200);
  for (const s of secrets) assert.match(s, /^[A-Za-z0-9+/]{40}$/);
  const ids = new Set(Array.from({ length: 200 }, () => uniqueId(ID_PREFIX.user)));
  assert.equal(ids.size, 200);
  assert.ok(sessionToken().length > 300);
});
