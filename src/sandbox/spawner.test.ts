/**
 * The sandbox spawner (spawner.ts, spawner-process.cjs): processes spawned by a helper
 * process behave as the server's own children did: every stdio channel, exit codes and
 * signals, spawn errors, descriptors for bwrap, nothing written early lost; the helper's
 * death takes its processes with it and the next spawn starts a new one; and sandboxes
 * started by the pool are no longer children of the server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { closeSandboxHost, createSandboxPool, detectSandboxHost, plainSandboxHost, type SandboxHost } from './index.ts';
import { Spawner, type SandboxProcess, type SpawnRequest } from './spawner.ts';
import { commandLine, json, makeRequest, makeSpec, MemoryLogSink, processExists, skipUnless, waitFor } from './test-helpers.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-spawner-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sh = (script: string, over: Partial<SpawnRequest> = {}): SpawnRequest => ({
  command: '/bin/sh',
  args: ['-c', script],
  cwd: '/',
  env: { PATH: '/usr/bin:/bin' },
  pipe: false,
  dirs: [],
  ...over,
});

/** Everything a stream carries until its end. */
function text(stream: Readable | null | undefined): Promise<string> {
  assert.ok(stream, 'the stream exists');
  return new Promise((resolve, reject) => {
    let out = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (out += chunk));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

/** How the process ended (now, if it already has). */
function exitOf(child: SandboxProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
}

/** The folders a process holds open, by the path they point at. */
function openDirs(pid: number): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

describe('spawner', () => {
  const spawner = new Spawner();
  after(() => spawner.close());

  it('gives the server stdin, stdout, stderr and the pipe at fd 3, both ways', async () => {
    const child = await spawner.spawn(
      sh('read line; echo "out:$line"; echo "err:$line" >&2; echo "fd3:$line" >&3; read back <&3; echo "back:$back"', { pipe: true }),
    );
    assert.equal(typeof child.pid, 'number');
    assert.equal(child.stdio.length, 4);
    const [out, err, fd3, exit] = [text(child.stdout), text(child.stderr), text(child.stdio[3]), exitOf(child)];
    child.stdin!.write('hello\n');
    child.stdio[3]!.write('over the pipe\n');
    assert.equal(await out, 'out:hello\nback:over the pipe\n');
    assert.equal(await err, 'err:hello\n');
    assert.equal(await fd3, 'fd3:hello\n');
    assert.deepEqual(await exit, [0, null]);
  });

  it('reports exit codes and signals as ChildProcess does', async () => {
    const exits = await spawner.spawn(sh('exit 7'));
    assert.deepEqual(await exitOf(exits), [7, null]);
    assert.equal(exits.exitCode, 7);
    assert.equal(exits.signalCode, null);
    assert.equal(exits.kill('SIGKILL'), false, 'a process known to be gone is not signalled');

    const sleeps = await spawner.spawn(sh('exec sleep 30'));
    assert.equal(sleeps.stdio.length, 3, 'no fd 3 unless asked for');
    const exit = exitOf(sleeps);
    assert.equal(sleeps.kill('SIGTERM'), true);
    assert.deepEqual(await exit, [null, 'SIGTERM']);
    assert.equal(sleeps.signalCode, 'SIGTERM');
    assert.equal(sleeps.exitCode, null);
  });

  it('reports a command that does not exist as ChildProcess does: no pid, then ENOENT', async () => {
    const child = await spawner.spawn({ ...sh(''), command: path.join(scratch, 'no-such-bootstrap') });
    assert.equal(child.pid, undefined);
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ENOENT');
    assert.equal(error.syscall, `spawn ${path.join(scratch, 'no-such-bootstrap')}`);
    assert.equal(error.message, `spawn ${path.join(scratch, 'no-such-bootstrap')} ENOENT`);
  });

  it('rejects a spawn it cannot even try (a folder to pass is missing)', async () => {
    await assert.rejects(spawner.spawn(sh('exit 0', { dirs: [path.join(scratch, 'missing')] })), { code: 'ENOENT', syscall: 'open' });
  });

  it('loses nothing a child writes at once before exiting, even while its pipes wait their turn', async () => {
    // Twenty at once: their pipes cross one at a time, long after most of them have exited.
    const children = await Promise.all(
      Array.from({ length: 20 }, (_, i) => spawner.spawn(sh(`echo "out ${i}"; echo "fd3 ${i}" >&3; echo "err ${i}" >&2`, { pipe: true }))),
    );
    // Even stdin, which ChildProcess closes once its process exits.
    for (const child of children) assert.ok(child.stdin && child.stdio.every((socket) => socket !== null), 'every pipe arrived');
    const seen = await Promise.all(children.map((child) => Promise.all([text(child.stdout), text(child.stdio[3]), text(child.stderr), exitOf(child)])));
    seen.forEach(([out, fd3, err, exit], i) => {
      assert.equal(out, `out ${i}\n`);
      assert.equal(fd3, `fd3 ${i}\n`);
      assert.equal(err, `err ${i}\n`);
      assert.deepEqual(exit, [0, null]);
    });
  });

  it('hands folders over at the descriptors after the pipes, and keeps none open', async () => {
    const dirs = ['a', 'b'].map((name) => path.join(scratch, name));
    for (const dir of dirs) fs.mkdirSync(dir);
    for (const pipe of [true, false]) {
      const first = pipe ? 4 : 3;
      const child = await spawner.spawn(
        sh(`readlink /proc/$$/fd/${first} /proc/$$/fd/${first + 1}; ls /proc/$$/fd | sort -n | tr '\\n' ' '`, { pipe, dirs }),
      );
      assert.ok(spawner.pid !== undefined);
      for (const pid of [process.pid, spawner.pid]) {
        for (const dir of dirs) assert.ok(!openDirs(pid).includes(dir), `${pid === process.pid ? 'the server' : 'the spawner'} left ${dir} open`);
      }
      const [out] = await Promise.all([text(child.stdout), exitOf(child)]);
      const [a, b, fds] = out.split('\n');
      assert.deepEqual([a, b], dirs);
      // sh's own descriptors aside (it may open one for the script), the child holds its stdio and the folders.
      const held = fds!.trim().split(' ').map(Number);
      for (let fd = 0; fd < first + 2; fd++) assert.ok(held.includes(fd), `fd ${fd} is open in the child`);
    }
  });

  it('stops its helper on close, and refuses to spawn afterwards', async () => {
    const own = new Spawner();
    const child = await own.spawn(sh('exit 0'));
    await exitOf(child);
    const helper = own.pid!;
    assert.ok(processExists(helper));
    await own.close();
    assert.equal(processExists(helper), false);
    await assert.rejects(own.spawn(sh('exit 0')), /closed/);
  });
});

describe('spawner death', () => {
  it('kills what it spawned, reports each gone, and the next spawn starts a new helper', async () => {
    const spawner = new Spawner();
    after(() => spawner.close());
    // A process with a child of its own: the kill takes its whole group.
    const child = await spawner.spawn(sh('sleep 60 & echo $!; wait'));
    const stdout = text(child.stdout);
    await waitFor(() => fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim() !== '', 5000, 'the grandchild');
    const grandchild = Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
    const first = spawner.pid!;
    const exit = exitOf(child);
    process.kill(first, 'SIGKILL');
    assert.deepEqual(await exit, [null, 'SIGKILL']);
    await stdout;
    await waitFor(() => !processExists(child.pid!) && !processExists(grandchild), 5000, 'the spawned processes to die');

    const next = await spawner.spawn(sh('echo again'));
    const [again, nextExit] = [text(next.stdout), exitOf(next)];
    assert.ok(spawner.pid !== undefined && spawner.pid !== first, 'a new helper');
    assert.equal(await again, 'again\n');
    assert.deepEqual(await nextExit, [0, null]);
  });

  it('tries a spawn again on a new helper when the helper dies with it in flight', async () => {
    // A helper that is ready, then dies on its first request; its successor is the real one.
    const marker = path.join(scratch, 'died-once');
    const diesOnce = path.join(scratch, 'dies-once-spawner.cjs');
    const real = fileURLToPath(new URL('./spawner-process.cjs', import.meta.url));
    fs.writeFileSync(
      diesOnce,
      `const fs = require('node:fs');
if (fs.existsSync(${JSON.stringify(marker)})) require(${JSON.stringify(real)});
else {
  process.on('message', () => { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(9); });
  process.send({ t: 'ready' });
  process.stdin.resume();
}
`,
    );
    const spawner = new Spawner({ helperScript: diesOnce });
    after(() => spawner.close());
    spawner.start();
    await waitFor(() => spawner.pid !== undefined, 5000, 'the first helper');
    const first = spawner.pid;
    const child = await spawner.spawn(sh('read x; echo "second:$x"'));
    const [out, exit] = [text(child.stdout), exitOf(child)];
    assert.ok(fs.existsSync(marker), 'the first helper died with the spawn');
    assert.ok(spawner.pid !== undefined && spawner.pid !== first, 'a second helper');
    assert.equal(readPpid(child.pid!), spawner.pid);
    child.stdin!.end('ok\n');
    assert.equal(await out, 'second:ok\n');
    assert.deepEqual(await exit, [0, null]);
  });

  it('fails a spawn whose pipes do not all arrive (a handle dropped on the way), without hanging', async () => {
    // A helper whose process "exits" before any of its pipes reaches the server.
    const dropsPipes = path.join(scratch, 'drops-pipes-spawner.cjs');
    fs.writeFileSync(
      dropsPipes,
      `process.on('message', (m) => {
  process.send({ t: 'spawned', id: m.id, pid: 999999999 });
  process.send({ t: 'exit', id: m.id, code: 0, signal: null });
});
process.send({ t: 'ready' });
process.stdin.resume();
`,
    );
    const spawner = new Spawner({ helperScript: dropsPipes });
    after(() => spawner.close());
    await assert.rejects(spawner.spawn(sh('true')), /could not be started: it exited \(code 0, signal null\) before its pipes arrived/);
  });

  it('falls back to spawning from the server, with one warning, when the helper cannot start', async () => {
    const warnings: string[] = [];
    const broken = path.join(scratch, 'broken-spawner.cjs');
    fs.writeFileSync(broken, 'process.exit(3);\n');
    const spawner = new Spawner({ logger: { warn: (msg) => warnings.push(msg) }, helperScript: broken });
    after(() => spawner.close());
    for (let i = 0; i < 2; i++) {
      const child = await spawner.spawn(sh('read x; echo "direct:$x"', { pipe: true }));
      assert.equal(readPpid(child.pid!), process.pid, 'the server\'s own child');
      const [out, exit] = [text(child.stdout), exitOf(child)];
      child.stdin!.end('ok\n');
      assert.equal(await out, 'direct:ok\n');
      assert.deepEqual(await exit, [0, null]);
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /sandbox spawner cannot start/);
  });

  it('goes, with what it spawned, when the server dies, even with pipes still on their way', async () => {
    const spawner = fileURLToPath(new URL('./spawner.ts', import.meta.url));
    const marker = `nimbus-spawner-orphan-${process.pid}`;
    // Twenty spawns at once; the server kills itself once the first is in, while the others' pipes still cross.
    const script = `
      import { Spawner } from ${JSON.stringify(spawner)};
      const s = new Spawner();
      const request = { command: '/bin/sh', args: ['-c', 'sleep 60; : ${marker}'], cwd: '/', env: {}, pipe: true, dirs: [] };
      await Promise.race(Array.from({ length: 20 }, () => s.spawn(request)));
      console.log(s.pid);
      process.kill(process.pid, 'SIGKILL');
    `;
    const out = await new Promise<string>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000, cwd: path.dirname(spawner) }, (_, stdout) => resolve(stdout)),
    );
    const helper = Number(out.trim());
    assert.ok(helper > 0, `the helper's pid, not ${JSON.stringify(out)}`);
    const marked = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && commandLine(Number(p)).includes(marker));
    await waitFor(() => !processExists(helper) && marked().length === 0, 5000, 'the helper and its processes to go');
  });

  it('does not keep an otherwise finished server alive', async () => {
    const spawner = fileURLToPath(new URL('./spawner.ts', import.meta.url));
    const script = `
      import { Spawner } from ${JSON.stringify(spawner)};
      const s = new Spawner();
      const child = await s.spawn({ command: '/bin/sh', args: ['-c', 'exit 0'], cwd: '/', env: {}, pipe: false, dirs: [] });
      child.on('exit', (code) => console.log(s.pid, 'exit', code));
    `;
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000, cwd: path.dirname(spawner) }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    const [helper, ...rest] = out.trim().split(' ');
    assert.deepEqual(rest, ['exit', '0']);
    assert.ok(Date.now() - started < 15_000);
    await waitFor(() => !processExists(Number(helper)), 5000, 'the helper to follow its server');
  });
});

describe('a sandbox whose command does not exist', () => {
  it('answers Runtime.InvalidEntrypoint naming the command, as when the server spawned it', async () => {
    const host = plainSandboxHost(path.join(scratch, 'enoent'));
    const command = path.join(scratch, 'missing', 'bootstrap');
    const pool = createSandboxPool({
      logSink: new MemoryLogSink(),
      idleTimeoutMs: 60_000,
      host,
      launcherFor: () => () => ({ command, args: [], cwd: scratch, env: {} }),
    });
    try {
      const spec = makeSpec('esm-mjs', 'index.handler', { functionName: 'no-command' });
      const request = makeRequest(spec);
      const result = await pool.invoke(spec, request);
      assert.equal(result.functionError, 'Unhandled');
      assert.deepEqual(json(result), {
        errorType: 'Runtime.InvalidEntrypoint',
        errorMessage: `RequestId: ${request.requestId} Error: Couldn't find valid bootstrap(s): [${command}]`,
      });
    } finally {
      await pool.dispose();
      closeSandboxHost(host);
    }
  });
});

/** A process's parent, from /proc (undefined once it is gone). */
function readPpid(pid: number): number | undefined {
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

const bwrapHost = detectSandboxHost({ scratchDir: path.join(scratch, 'bwrap') });
const hosts: Array<[name: string, host: SandboxHost, skip: string | false]> = [
  ['plain processes', plainSandboxHost(path.join(scratch, 'plain')), false],
  ['bubblewrap', bwrapHost, skipUnless(bwrapHost.bwrap !== null, `bubblewrap is not usable here (${bwrapHost.problems.join('; ') || 'bwrap not found'})`)],
];
after(() => hosts.forEach(([, host]) => closeSandboxHost(host)));

for (const [name, host, skip] of hosts) {
  describe(`sandboxes of the pool on ${name}`, { skip }, () => {
    it('are spawned by the spawner, not by the server, and work', async () => {
      const pool = createSandboxPool({ logSink: new MemoryLogSink(), idleTimeoutMs: 60_000, host });
      try {
        const spec = makeSpec('esm-mjs', 'index.handler', { functionName: `spawned-${name.replace(/\W/g, '')}` });
        const result = await pool.invoke(spec, makeRequest(spec, { n: 1 }));
        assert.equal(result.functionError, undefined, result.payload.toString());
        assert.deepEqual(json(result).event, { n: 1 });
        const [environment] = pool.environments();
        const outermost = environment!.pid!;
        const parent = readPpid(outermost);
        assert.ok(parent !== undefined);
        assert.notEqual(parent, process.pid, 'the sandbox is not the server\'s child');
        assert.match(commandLine(parent), /spawner-process\.cjs/);
        assert.equal(readPpid(parent), process.pid, 'the spawner is');
      } finally {
        await pool.dispose();
      }
    });
  });
}
