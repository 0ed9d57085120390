/**
 * What a function's modules see of the Node.js runtime (bootstrap.cjs, a CommonJS entry)
 * is what they see of AWS's (an ES module, /var/runtime/index.mjs): no require.main, no
 * module of the runtime in require.cache, and a loading ES module whose top-level await
 * never settles ends the process with status 13. Fresh and primed environments alike.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createSandboxPool, type LocalSandboxPool } from './index.ts';
import { assertNoChildren, json, makeRequest, makeSpec, MemoryLogSink, waitFor } from './test-helpers.ts';

const code = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-node-modules-'));
const files: Record<string, string> = {
  // The usual "run as a script" guard, which must not fire inside the runtime.
  'main.js': `exports.isMainAtLoad = require.main === module;
exports.handler = async () => ({
  requireMain: require.main === undefined ? 'undefined' : require.main.filename,
  isMainAtLoad: exports.isMainAtLoad,
  hasMainModule: 'mainModule' in process,
  cache: Object.keys(require.cache),
  taskRoot: process.env.LAMBDA_TASK_ROOT,
});`,
  'stall.mjs': 'await new Promise(() => {});\nexport const handler = async () => "never";\n',
  'exits.mjs': 'await null;\nprocess.exit();\nexport const handler = async () => "never";\n',
};
for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(code, name), text, { mode: 0o644 });
// Readable by the sandbox's own user under bubblewrap.
fs.chmodSync(code, 0o755);

const sink = new MemoryLogSink();
const fresh = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });
let primed: LocalSandboxPool | undefined;

after(async () => {
  await fresh.dispose();
  await primed?.dispose();
  assertNoChildren();
  fs.rmSync(code, { recursive: true, force: true });
});

const spec = (functionName: string, handler: string) => makeSpec('none', handler, { functionName, codeDir: code });

async function invoke(pool: LocalSandboxPool, functionName: string, handler: string) {
  const s = spec(functionName, handler);
  return pool.invoke(s, makeRequest(s));
}

describe('a function\'s modules and the Node.js runtime', () => {
  it('see require.main undefined and only their own modules in require.cache, fresh and primed', async () => {
    primed = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, primedRuntimes: 1 });
    primed.primeRuntimes();
    await waitFor(() => primed!.primedReady() === 1, 20_000, 'a primed runtime');
    for (const [pool, name] of [[fresh, 'modules-fresh'], [primed, 'modules-primed']] as const) {
      const result = await invoke(pool, name, 'main.handler');
      assert.equal(result.functionError, undefined, result.payload.toString());
      const body = json(result);
      assert.equal(body.requireMain, 'undefined', name);
      assert.equal(body.isMainAtLoad, false, name);
      assert.equal(body.hasMainModule, false, name);
      assert.deepEqual(body.cache, [path.join(body.taskRoot, 'main.js')], name);
    }
  });

  it('end with status 13 when an ES module\'s top-level await never settles, and keep the status of process.exit()', async () => {
    const stalled = await invoke(fresh, 'modules-stall', 'stall.handler');
    assert.equal(stalled.functionError, 'Unhandled');
    assert.match(stalled.payload.toString(), /"errorType":"Runtime\.ExitError".*Runtime exited with error: exit status 13"/);
    const exited = await invoke(fresh, 'modules-exit', 'exits.handler');
    assert.equal(exited.functionError, 'Unhandled');
    assert.match(exited.payload.toString(), /"errorType":"Runtime\.ExitError".*Runtime exited without providing a reason"/);
  });
});
