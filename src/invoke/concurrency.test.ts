import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from './concurrency.ts';

test('unreserved functions share what is not reserved', () => {
  const l = new ConcurrencyLimiter(5);
  l.setReserved('r', 2);
  assert.equal(l.unreserved, 3);
  for (let i = 0; i < 3; i++) assert.equal(l.tryAcquire(i % 2 ? 'a' : 'b'), undefined);
  assert.equal(l.tryAcquire('a'), 'ConcurrentInvocationLimitExceeded');
  // The reservation is still there for its function.
  assert.equal(l.tryAcquire('r'), undefined);
  assert.equal(l.tryAcquire('r'), undefined);
  assert.equal(l.tryAcquire('r'), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  l.release('a');
  assert.equal(l.tryAcquire('c'), undefined);
  assert.equal(l.running, 5);
});

test('a reservation of 0 throttles every call', () => {
  const l = new ConcurrencyLimiter(10);
  l.setReserved('off', 0);
  assert.equal(l.tryAcquire('off'), 'ReservedFunctionConcurrentInvocationLimitExceeded');
});

test('changing a reservation while invocations run keeps the books straight', () => {
  const l = new ConcurrencyLimiter(4);
  assert.equal(l.tryAcquire('f'), undefined);
  assert.equal(l.tryAcquire('f'), undefined);
  l.setReserved('f', 2);
  assert.equal(l.tryAcquire('g'), undefined);
  assert.equal(l.tryAcquire('g'), undefined);
  assert.equal(l.tryAcquire('g'), 'ConcurrentInvocationLimitExceeded');
  l.release('f');
  l.release('f');
  l.setReserved('f', undefined);
  assert.equal(l.tryAcquire('g'), undefined);
  assert.equal(l.tryAcquire('g'), undefined);
  assert.equal(l.tryAcquire('g'), 'ConcurrentInvocationLimitExceeded');
  assert.equal(l.running, 4);
});
