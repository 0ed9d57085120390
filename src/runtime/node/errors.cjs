// @ts-check
/**
 * The runtime's errors, named and worded as AWS's Node.js runtime reports them, and the
 * documents it sends for an error ({errorType, errorMessage, trace}) or prints in a log line.
 */
'use strict';
const util = require('node:util');

class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
class UnhandledPromiseRejection extends Error {
  /** @param {unknown} reason @param {Promise<unknown>} promise */
  constructor(reason, promise) {
    super(/** @type {string} */ (reason));
    this.reason = reason;
    this.promise = promise;
  }
}
for (const E of [ImportModuleError, HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError, NodeJsExit, UnhandledPromiseRejection]) {
  E.prototype.name = `Runtime.${E.name}`;
}

/** @param {any} obj */
function isErrorLike(obj) {
  return Boolean(
    obj && obj.name && obj.message && obj.stack &&
      typeof obj.name === 'string' && typeof obj.message === 'string' && typeof obj.stack === 'string',
  );
}

/**
 * The body posted to /error and /init/error: {errorType, errorMessage, trace}.
 * @param {any} error
 * @returns {{ errorType: string, errorMessage: string, trace?: string[] }}
 */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** @param {any} value */
function withEnumerableProperties(value) {
  if (value instanceof Error) {
    /** @type {Record<string, unknown>} */
    const ret = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: /** @type {any} */ (value).code },
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (value)),
    );
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/** How AWS's runtime prints an error in a text log line: a tab, then JSON. @param {unknown} error */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

/** @param {unknown} err */
function intoError(err) {
  return err instanceof Error ? err : new Error(/** @type {string} */ (err));
}

/** Header values may only hold visible latin-1; an exotic error name must not crash the post. @param {string} v */
function headerSafe(v) {
  return String(v).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** A function's result as the JSON the Runtime API is given. @param {unknown} body */
function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

module.exports = {
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  NodeJsExit,
  UnhandledPromiseRejection,
  toRapidResponse,
  toFormatted,
  intoError,
  headerSafe,
  serialize,
};
