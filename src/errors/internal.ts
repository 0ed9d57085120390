/**
 * Internal errors carry a stable code from this table. They never reach the wire
 * as-is: the error boundary turns them into a ServiceException and logs them.
 */
export const INTERNAL_CODES = {
  /** The metadata store refused or failed a write. */
  STORE_FAILURE: 'NIMBUS_STORE_FAILURE',
  /** A code package on disk is missing or unreadable. */
  CODE_MISSING: 'NIMBUS_CODE_MISSING',
  /** The server is shutting down and no longer takes work. */
  SHUTTING_DOWN: 'NIMBUS_SHUTTING_DOWN',
  /** The data key file (`<dataDir>/master.key`) cannot be read, created, or is not 32 bytes. */
  MASTER_KEY_INVALID: 'NIMBUS_MASTER_KEY_INVALID',
  /** A value sealed at rest cannot be opened: altered, truncated, or sealed under another key. */
  DECRYPTION_FAILED: 'NIMBUS_DECRYPTION_FAILED',
} as const;

export type InternalCode = (typeof INTERNAL_CODES)[keyof typeof INTERNAL_CODES];

export class InternalError extends Error {
  constructor(
    readonly code: InternalCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
