export { SqliteLogStore, type StoredEvent, type StreamInfo, type GroupInfo } from './log-store.ts';
export { LogsService } from './service.ts';
export { compileFilterPattern } from './filter-pattern.ts';
