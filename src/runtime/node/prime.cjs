// Loaded by a primed runtime before it has a function: its handler rehearses one invocation,
// so the CommonJS loader and the invoke loop are warm when the function's handler loads and runs.
'use strict';
exports.handler = async () => ({});
