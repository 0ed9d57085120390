/**
 * Runtimes Nimbus runs, and how it answers for the rest of AWS's Runtime enum.
 * Every nodejsNN.x runs on the host's Node.js and every python3.x on the host's Python 3:
 * the name is kept for fidelity (AWS_EXECUTION_ENV), the interpreter is the host's.
 * provided* runtimes run the function's own bootstrap. A runtime whose interpreter is
 * missing on this host is refused, as an unknown one is.
 */
import { hostPython } from '../sandbox/index.ts';

/** AWS's Runtime enum (service model lambda 2015-03-31). */
export const AWS_RUNTIMES: ReadonlySet<string> = new Set([
  'nodejs', 'nodejs4.3', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x',
  'java8', 'java8.al2', 'java11', 'python2.7', 'python3.6', 'python3.7', 'python3.8', 'python3.9',
  'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1', 'dotnet6', 'dotnet8', 'nodejs4.3-edge',
  'go1.x', 'ruby2.5', 'ruby2.7', 'provided', 'provided.al2', 'nodejs18.x', 'python3.10', 'java17', 'ruby3.2',
  'ruby3.3', 'ruby3.4', 'python3.11', 'nodejs20.x', 'provided.al2023', 'python3.12', 'java21', 'python3.13',
  'nodejs22.x', 'nodejs24.x', 'python3.14', 'java25', 'dotnet10', 'ruby4.0',
]);

const NODE_RUNTIME = /^nodejs\d+\.x$/;
/** python3.9 and later (AWS no longer accepts new functions on older ones). */
const PYTHON_RUNTIME = /^python3\.(\d+)$/;
const PYTHON_MIN_MINOR = 9;
const PROVIDED_RUNTIMES: ReadonlySet<string> = new Set(['provided', 'provided.al2', 'provided.al2023']);

export type RuntimeFamily = 'nodejs' | 'python' | 'provided';

/** The family of a runtime Nimbus knows how to run (installed on this host or not). */
export function runtimeFamily(runtime: string): RuntimeFamily | undefined {
  if (NODE_RUNTIME.test(runtime)) return 'nodejs';
  const python = PYTHON_RUNTIME.exec(runtime);
  if (python && Number(python[1]) >= PYTHON_MIN_MINOR) return 'python';
  if (PROVIDED_RUNTIMES.has(runtime)) return 'provided';
  return undefined;
}

/** Why a runtime is refused, or undefined when it is accepted. */
export function runtimeProblem(runtime: string): string | undefined {
  if (!AWS_RUNTIMES.has(runtime)) {
    return `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${[...AWS_RUNTIMES].join(', ')}] or be a valid ARN`;
  }
  const family = runtimeFamily(runtime);
  if (!family) {
    return `The runtime parameter of ${runtime} is not supported by this Nimbus installation. Supported runtimes: nodejs10.x through nodejs24.x (run on the host's Node.js ${process.version}), python3.${PYTHON_MIN_MINOR} through python3.14 (run on the host's Python 3), provided, provided.al2 and provided.al2023.`;
  }
  if (family === 'python' && !hostPython()) {
    return `The runtime parameter of ${runtime} is not supported by this Nimbus installation: Python 3 is not installed on the host (no python3 on PATH; set NIMBUS_PYTHON to a Python 3 interpreter).`;
  }
  return undefined;
}
