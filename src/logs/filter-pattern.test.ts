import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterPattern, InvalidFilterPatternError } from './filter-pattern.ts';

/** The sample events of AWS's filter-pattern syntax page. */
const EVENT = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }],
  SomeObject: null,
  ThisFlag: true,
  OtherFlag: false,
});
const USER = JSON.stringify({
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [{ id: 2, email: 'John.Doe@example.com' }, { id: 3, email: 'Jane.Doe@example.com' }],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [[-122.1, 45.5], [2.3, 48.8]],
});
const METRICS = JSON.stringify({ bandwidth: 80, latency: 45.2, refreshRate: 60, responseTime: 5, status: 'ok', code: '404' });

const matches = (pattern: string, message: string) => compileFilterPattern(pattern)(message);

describe('JSON filter patterns', () => {
  const cases: [string, string, boolean][] = [
    ['{ $.eventType = "UpdateTrail" }', EVENT, true],
    ['{ $.eventType = UpdateTrail }', EVENT, true],
    ['{ $.eventType = "Update*" }', EVENT, true],
    ['{ $.eventType = "*Trail" }', EVENT, true],
    ['{ $.eventType = "Delete*" }', EVENT, false],
    ['{ $.eventType != "UpdateTrail" }', EVENT, false],
    ['{ $.sourceIPAddress != 123.123.* }', EVENT, true],
    ['{ $.sourceIPAddress = 111.111.* }', EVENT, true],
    ['{ $.arrayKey[0] = "value" }', EVENT, true],
    ['{ $.arrayKey[1] = "another value" }', EVENT, true],
    ['{ $.arrayKey[2] = "value" }', EVENT, false],
    ['{ $.objectList[1].id = 2 }', EVENT, true],
    ['{ $.objectList[0].id = 2 }', EVENT, false],
    ['{ $.SomeObject IS NULL }', EVENT, true],
    ['{ $.eventType IS NULL }', EVENT, false],
    ['{ $.Missing IS NULL }', EVENT, false],
    ['{ $.SomeOtherObject NOT EXISTS }', EVENT, true],
    ['{ $.SomeObject NOT EXISTS }', EVENT, false],
    ['{ $.ThisFlag IS TRUE }', EVENT, true],
    ['{ $.ThisFlag IS FALSE }', EVENT, false],
    ['{ $.OtherFlag IS FALSE }', EVENT, true],
    ['{ $.Missing != "x" }', EVENT, false],
    ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', USER, true],
    ['{ $.user.id = 2 && $.users[0].email = "nonmatch" || $.actions[2] = "DELETE" }', USER, true],
    ['{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }', USER, true],
    ['{ ($.user.email = "nonmatch" || $.coordinates[0][1] = 45.5) && $.actions[2] = "nonmatch" }', USER, false],
    ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', USER, false],
    ['{ $.users[1].email = "Jane*" && $.actions[0] = GET }', USER, true],
    ['{ $.coordinates[1][0] > 2 }', USER, true],
    ['{ $.bandwidth > 75 }', METRICS, true],
    ['{ $.bandwidth > 80 }', METRICS, false],
    ['{ $.bandwidth >= 80 }', METRICS, true],
    ['{ $.latency < 50 }', METRICS, true],
    ['{ $.latency <= 45.2 }', METRICS, true],
    ['{ $.refreshRate = 60 }', METRICS, true],
    ['{ $.refreshRate != 60 }', METRICS, false],
    ['{ $.responseTime <= 5 && $.status = "ok" }', METRICS, true],
    ['{ $.status > 1 }', METRICS, false],
    ['{ $.code = 404 }', METRICS, true],
    ['{$.bandwidth>75&&$.latency<50}', METRICS, true],
    ['{ $.eventType = "UpdateTrail" }', 'not json at all', false],
    ['{ $.eventType = "UpdateTrail" }', '[1, 2, 3]', false],
    // Text-format lines carry the JSON after the runtime's prefix.
    ['{ $.eventType = "UpdateTrail" }', `2024-01-01T00:00:00.000Z\tabc\tINFO\t${EVENT}`, true],
  ];
  for (const [pattern, message, expected] of cases) {
    test(`${pattern} → ${expected}`, () => assert.equal(matches(pattern, message), expected));
  }

  test('malformed patterns are refused', () => {
    for (const bad of ['{ $.a = }', '{ $.a = 1', '{ a = 1 }', '{ $.a > "x" }', '{ $.a IS MAYBE }', '{ ($.a = 1 }', '{ $.a = 1 } extra', '{ $.a == 1 }']) {
      assert.throws(() => compileFilterPattern(bad), InvalidFilterPatternError, bad);
    }
  });
});

describe('text filter patterns', () => {
  test('terms, quoted phrases, exclusions', () => {
    const m = compileFilterPattern('ERROR "disk full" -ignored');
    assert.equal(m('ERROR: disk full on /tmp'), true);
    assert.equal(m('ERROR: disk is full'), false);
    assert.equal(m('ERROR: disk full, ignored'), false);
    assert.equal(compileFilterPattern('')('anything'), true);
  });

  test('?term matches any of them', () => {
    const m = compileFilterPattern('?ERROR ?WARN');
    assert.equal(m('WARN low disk'), true);
    assert.equal(m('ERROR boom'), true);
    assert.equal(m('INFO fine'), false);
  });
});

describe('space-delimited filter patterns', () => {
  const line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534';
  const cases: [string, boolean][] = [
    ['[ip, user, username, timestamp, request, status_code, bytes]', true],
    ['[ip, user, username, timestamp, request, status_code]', false],
    ['[ip, user, username, timestamp, request = "*gif*", status_code = 4*, bytes]', true],
    ['[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes]', false],
    ['[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes > 1000]', true],
    ['[ip, user, username, timestamp, request, status_code != 404, bytes]', false],
    ['[ip = 127.0.0.*, ...]', true],
    ['[..., status_code = 404, bytes < 1000]', false],
    ['[..., status_code >= 400 && status_code < 500, bytes]', true],
    ['[ip, ..., bytes = 1534]', true],
  ];
  for (const [pattern, expected] of cases) {
    test(`${pattern} → ${expected}`, () => assert.equal(matches(pattern, line), expected));
  }
});

describe('wildcards', () => {
  test('pieces match in order, anchored at both ends, case-sensitively', () => {
    const cases: [string, string, boolean][] = [
      ['a*b*c', 'abc', true],
      ['a*b*c', 'axxbyyc', true],
      ['a*b*c', 'acb', false],
      ['a*b*c', 'abcx', false],
      ['ab*ba', 'aba', false], // prefix and suffix may not overlap
      ['ab*ba', 'abba', true],
      ['*', '', true],
      ['**', 'x', true],
      ['*x*', 'X', false],
      ['*a*a*', 'a', false],
      ['*a*a*', 'aa', true],
    ];
    for (const [pattern, value, expected] of cases) {
      assert.equal(matches(`{ $.a = "${pattern}" }`, JSON.stringify({ a: value })), expected, `${pattern} vs ${value}`);
    }
  });

  test('a pathological pattern over a long value does not backtrack exponentially', () => {
    const long = 'a'.repeat(100_000);
    assert.equal(matches('{ $.a = "*a*a*a*a*a*a*a*a*b" }', JSON.stringify({ a: long })), false);
    assert.equal(matches('{ $.a = "*a*a*a*a*a*a*a*a*a" }', JSON.stringify({ a: long })), true);
    assert.equal(matches(`[x = "*a*a*a*a*a*a*a*a*b"]`, long), false);
  });
});
