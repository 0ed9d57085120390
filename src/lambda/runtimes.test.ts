import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runtimeFamily, runtimeProblem } from './runtimes.ts';

describe('runtimes', () => {
  const saved = process.env.NIMBUS_PYTHON;
  after(() => {
    if (saved === undefined) delete process.env.NIMBUS_PYTHON;
    else process.env.NIMBUS_PYTHON = saved;
  });

  it('knows the families Nimbus runs', () => {
    assert.equal(runtimeFamily('nodejs22.x'), 'nodejs');
    assert.equal(runtimeFamily('python3.9'), 'python');
    assert.equal(runtimeFamily('python3.14'), 'python');
    assert.equal(runtimeFamily('python3.8'), undefined);
    assert.equal(runtimeFamily('python2.7'), undefined);
    for (const r of ['provided', 'provided.al2', 'provided.al2023']) assert.equal(runtimeFamily(r), 'provided');
    assert.equal(runtimeFamily('java21'), undefined);
  });

  it('refuses python3.x when the host has no Python 3, and names the fix', () => {
    process.env.NIMBUS_PYTHON = 'none';
    assert.match(runtimeProblem('python3.12') ?? '', /^The runtime parameter of python3\.12 is not supported by this Nimbus installation: Python 3 is not installed on the host .*NIMBUS_PYTHON/);
    process.env.NIMBUS_PYTHON = '/nonexistent/python3';
    assert.ok(runtimeProblem('python3.12'));
    assert.equal(runtimeProblem('provided.al2023'), undefined, 'custom runtimes need nothing from the host');
    assert.equal(runtimeProblem('nodejs20.x'), undefined);
  });

  it('refuses names outside AWS\'s enum with its validation message', () => {
    assert.match(runtimeProblem('cobol') ?? '', /^Value cobol at 'runtime' failed to satisfy constraint: Member must satisfy enum value set/);
  });
});
