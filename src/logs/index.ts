export { SqliteLogStore, EVENT_OVERHEAD_BYTES, type StoredEvent, type StreamInfo, type GroupInfo, type LogStoreOptions } from './log-store.ts';
export { RETENTION_DAYS, RETENTION_SWEEP_MS, scheduleRetentionSweep } from './retention.ts';
export { LogsService } from './service.ts';
export { compileFilterPattern, InvalidFilterPatternError } from './filter-pattern.ts';
