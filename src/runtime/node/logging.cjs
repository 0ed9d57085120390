// @ts-check
/**
 * Logging as AWS's runtime does it: console.* become `<ISO>\t<requestId>\t<LEVEL>\t<message>`
 * lines on fd 1 (or JSON objects with LogFormat JSON), one write per call, newlines folded
 * to \r so one call is one line for the host.
 */
'use strict';
const fs = require('node:fs');
const util = require('node:util');
const { intoError, toFormatted } = require('./errors.cjs');

/** The request id log lines carry: the current invocation's, undefined before the first. @type {string | undefined} */
let currentRequestId;
/** @param {string | undefined} id */
function setRequestId(id) {
  currentRequestId = id;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every byte before returning, so that all output is in the pipe before the
 * response is posted. fd 1 may have been made non-blocking by user code touching
 * process.stdout, hence the EAGAIN retry.
 * @param {string} text
 */
function writeOut(text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 1);
      else if (code === 'EPIPE') process.exit(0); // the host is gone
      else throw e;
    }
  }
}

/** A line of the runtime's own, outside console (console may be the function's by then). @param {string} message */
function writeErrorLine(message) {
  writeOut(`${new Date().toISOString()}\t${currentRequestId}\tERROR\t${message}\n`);
}

const LEVELS = /** @type {const} */ ({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});
/** @typedef {{ name: string, priority: number }} Level */

/** @param {Level} level @param {unknown[]} params */
function logText(level, params) {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level.name}\t${util.format(...params)}`;
  writeOut(line.replace(/\n/g, '\r') + '\n');
}

/** @param {unknown} _key @param {unknown} value */
function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/** @param {Level} level @param {unknown[]} params */
function logJson(level, params) {
  /** @type {Record<string, unknown>} */
  const result = { timestamp: new Date().toISOString(), level: level.name, requestId: currentRequestId };
  let line;
  if (params.length === 1) {
    result.message = params[0];
    try {
      line = JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      line = JSON.stringify(result);
    }
  } else {
    result.message = util.format(...params);
    for (const p of params) {
      if (p instanceof Error) {
        result.errorType = p?.constructor?.name ?? 'UnknownError';
        result.errorMessage = p.message;
        result.stackTrace = typeof p.stack === 'string' ? p.stack.split('\n') : [];
        break;
      }
    }
    line = JSON.stringify(result);
  }
  writeOut(line.replace(/\n/g, '\r') + '\n');
}

let jsonFormat = false;

/** Logs an error the way the runtime itself does ("Invoke Error", "Uncaught Exception"). @type {(msg: string, err: unknown) => void} */
const logError = (msg, err) => (jsonFormat ? console.error(intoError(err)) : console.error(msg, toFormatted(intoError(err))));

/** console.* in the function's LogFormat and level (read again when a primed runtime gets its function). */
function patchConsole() {
  jsonFormat = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const log = jsonFormat ? logJson : logText;
  const min = LEVELS[/** @type {keyof typeof LEVELS} */ (process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? '')] ?? LEVELS.TRACE;
  const nop = () => {};
  /** @param {Level} level */
  const at = (level) => (level.priority >= min.priority ? (/** @type {unknown[]} */ ...params) => log(level, params) : nop);
  const c = /** @type {any} */ (console);
  c.trace = at(LEVELS.TRACE);
  c.debug = at(LEVELS.DEBUG);
  c.info = at(LEVELS.INFO);
  c.log = c.info;
  c.warn = at(LEVELS.WARN);
  c.error = at(LEVELS.ERROR);
  c.fatal = (/** @type {unknown[]} */ ...params) => log(LEVELS.FATAL, params);
}

module.exports = { setRequestId, writeOut, writeErrorLine, logError, patchConsole };
