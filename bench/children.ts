/**
 * Child processes of the bench: a readiness line parsed as JSON raced against exit,
 * and a dispose() that kills and awaits exit. Every child the bench starts goes
 * through spawnReady, so the run's finally can dispose them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

export interface ReadyChild<T> {
  readonly pid: number;
  readonly ready: T;
  dispose(): Promise<void>;
}

/** The parent's environment minus what would distort a measurement of node itself. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, NODE_OPTIONS: _opts, ...rest } = process.env;
  return rest;
}

/** Runs `node [nodeArgs] script`; resolves with the first stdout line, parsed as JSON. */
export async function spawnReady<T>(nodeArgs: readonly string[], env = cleanEnv()): Promise<ReadyChild<T>> {
  // stdin stays a pipe: the child exits when it closes, so a killed bench leaves nothing behind.
  const child = spawn(process.execPath, [...nodeArgs], { cwd: PROJECT_ROOT, env, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const dispose = () => stop(child, exited);
  try {
    const ready = await firstLine(child, exited);
    return { pid: child.pid!, ready: JSON.parse(ready) as T, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

function firstLine(child: ChildProcess, exited: Promise<void>): Promise<string> {
  const lines = readline.createInterface({ input: child.stdout! });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${child.pid} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`child exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`));
    });
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
