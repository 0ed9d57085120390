export type { BlobStore, FunctionRecord, ListPage, MetadataStore } from './types.ts';
export { SqliteMetadataStore } from './sqlite-metadata-store.ts';
export { FileBlobStore } from './file-blob-store.ts';
export { openSqlite } from './sqlite.ts';
export { SqliteConcurrencyStore, type ConcurrencyStore, type ProvisionedConfigRecord } from './sqlite-concurrency-store.ts';
