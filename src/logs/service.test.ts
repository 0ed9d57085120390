import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonErrors } from '../errors/index.ts';
import { compilePattern } from './service.ts';

const invalidPattern = (e: unknown) => e instanceof JsonErrors.InvalidParameterException && e.message === 'Invalid filter pattern';
const overflow = (): never => {
  throw new RangeError('Maximum call stack size exceeded');
};

describe('compilePattern', () => {
  test('a stack overflow while compiling is an InvalidParameterException', () => {
    assert.throws(() => compilePattern('{ $.a = 1 }', overflow), invalidPattern);
  });

  test('a stack overflow while evaluating is an InvalidParameterException', () => {
    const matches = compilePattern('{ $.a = 1 }', () => overflow);
    assert.throws(() => matches('{"a":1}'), invalidPattern);
  });

  test('other failures are not disguised', () => {
    assert.throws(() => compilePattern('x', () => { throw new TypeError('bug'); }), TypeError);
  });

  test('the length limit is checked before compiling', () => {
    let compiled = false;
    const pattern = 'x'.repeat(1025);
    assert.throws(
      () => compilePattern(pattern, () => { compiled = true; return () => true; }),
      (e: unknown) => e instanceof JsonErrors.InvalidParameterException && /Member must have length less than or equal to 1024$/.test(e.message),
    );
    assert.equal(compiled, false);
    assert.equal(compilePattern('x'.repeat(1024))('x'.repeat(1024)), true);
  });
});
