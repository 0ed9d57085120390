// Loaded by a primed runtime before it has a function, so the CommonJS loader is warm when the handler loads.
'use strict';
module.exports = {};
