/**
 * Where a function's layers are found when no private /opt exists. AWS mounts the merged
 * layers at /opt, and its runtimes list /opt/bin on PATH, /opt/lib on LD_LIBRARY_PATH,
 * /opt/nodejs/node_modules and /opt/nodejs/nodeNN/node_modules on NODE_PATH, /opt/python
 * on the Python path:
 * https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths
 * Without bubblewrap there is nothing to mount /opt on, so those entries are pointed at the
 * merged folder instead. A launcher that mounts the folder at /opt does not call this.
 */

/** The search-path variables whose /opt entries lead into the layers. */
export const LAYER_PATH_VARIABLES = ['PATH', 'LD_LIBRARY_PATH', 'NODE_PATH', 'PYTHONPATH'] as const;

const PYTHON = /^python(\d+\.\d+)$/;

/**
 * The values of env's search-path variables with /opt replaced by layersDir (only the
 * variables env sets; Python runtimes get the layer's python folders on PYTHONPATH).
 */
export function layerPaths(env: Readonly<Record<string, string>>, layersDir: string, runtime: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of LAYER_PATH_VARIABLES) {
    const value = env[key];
    if (value !== undefined) out[key] = value.split(':').map((entry) => underOpt(entry, layersDir)).join(':');
  }
  const python = PYTHON.exec(runtime)?.[1];
  if (python && !(out.PYTHONPATH ?? '').includes(`${layersDir}/python`)) {
    const own = `${layersDir}/python/lib/python${python}/site-packages:${layersDir}/python`;
    out.PYTHONPATH = out.PYTHONPATH ? `${out.PYTHONPATH}:${own}` : own;
  }
  return out;
}

function underOpt(entry: string, layersDir: string): string {
  if (entry === '/opt') return layersDir;
  return entry.startsWith('/opt/') ? `${layersDir}${entry.slice('/opt'.length)}` : entry;
}
