// Imported by a primed runtime before it has a function (bootstrap.cjs): its handler is
// loaded as a function's would be and rehearses one invocation, so the ESM loader and the
// invoke loop are warm when the function's own handler loads and runs.
export const handler = async () => ({});
