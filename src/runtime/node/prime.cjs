// Required by a primed runtime before it has a function (bootstrap.mjs), so the CommonJS
// loader is warm when a CommonJS handler loads.
'use strict';
module.exports = {};
