import Database from 'better-sqlite3';

/**
 * Opens a SQLite file the way every Nimbus store wants it: WAL, and synchronous=NORMAL,
 * which in WAL mode survives a process crash (kill -9); only a power loss can drop the
 * last commits.
 */
export function openSqlite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
