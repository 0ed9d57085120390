// @ts-check
/**
 * The Runtime API over HTTP at AWS_LAMBDA_RUNTIME_API (a runtime started without `--pipe`):
 * one keep-alive socket, unref'd by the agent while idle so it never holds the event loop
 * open (the beforeExit semantics depend on that). node:http is loaded on the first request.
 */
'use strict';
const { headerSafe, serialize, toRapidResponse } = require('./errors.cjs');
const { logError, writeErrorLine } = require('./logging.cjs');

const API_VERSION = '/2018-06-01';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

/** @param {unknown} err */
function fatalConnectionError(err) {
  writeErrorLine(`Runtime API connection failed: ${String(err)}`);
  process.exit(1);
}

/** @param {string} api host:port */
function httpClient(api) {
  const sep = api.lastIndexOf(':');
  const apiHost = sep > 0 ? api.slice(0, sep) : api;
  const apiPort = sep > 0 ? Number.parseInt(api.slice(sep + 1), 10) : 80;
  /** @type {typeof import('node:http') | null} */
  let http = null;
  /** @type {import('node:http').Agent | null} */
  let agent = null;

  /**
   * @param {string} method @param {string} urlPath @param {Record<string, string | number>} headers
   * @param {string | undefined} body
   * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer }>}
   */
  const request = (method, urlPath, headers, body) =>
    new Promise((resolve) => {
      http ??= /** @type {typeof import('node:http')} */ (require('node:http'));
      agent ??= new http.Agent({ keepAlive: true, maxSockets: 1 });
      const req = http.request(
        { host: apiHost, port: apiPort, method, path: urlPath, headers, agent },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? /** @type {Buffer} */ (chunks[0]) : Buffer.concat(chunks) }),
          );
          res.on('error', fatalConnectionError);
        },
      );
      req.on('error', fatalConnectionError);
      req.end(body);
    });

  /** @param {string} urlPath @param {string} body @param {Record<string, string>} extra */
  const post = (urlPath, body, extra) =>
    request('POST', urlPath, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...extra }, body);

  return {
    async nextInvocation() {
      const res = await request('GET', `${API_VERSION}/runtime/invocation/next`, {}, undefined);
      if (res.status !== 200) fatalConnectionError(`GET /runtime/invocation/next answered ${res.status}: ${res.body}`);
      return res;
    },
    /** @param {unknown} result @param {string} id @param {() => void} callback */
    postInvocationResponse(result, id, callback) {
      const body = serialize(result);
      post(`${API_VERSION}/runtime/invocation/${encodeURIComponent(id)}/response`, body, {}).then((res) => {
        if (res.status !== 202) {
          logError('Invoke Error', new Error(`Failed to post handler success response. Http response code: ${res.status}.`));
        }
        callback();
      });
    },
    /** @param {unknown} error @param {string} id @param {() => void} callback */
    postInvocationError(error, id, callback) {
      const response = toRapidResponse(error);
      post(`${API_VERSION}/runtime/invocation/${encodeURIComponent(id)}/error`, serialize(response), {
        [ERROR_TYPE_HEADER]: headerSafe(response.errorType),
      }).then(() => callback());
    },
    /** @param {unknown} error @param {() => void} callback */
    postInitError(error, callback) {
      const response = toRapidResponse(error);
      post(`${API_VERSION}/runtime/init/error`, serialize(response), { [ERROR_TYPE_HEADER]: headerSafe(response.errorType) }).then(() =>
        callback(),
      );
    },
  };
}

module.exports = { httpClient };
