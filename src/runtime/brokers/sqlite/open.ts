import type Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TqError } from '../../errors.js';
import { SCHEMA } from './schema.js';

// Loaded with require, not import: an ESM import of this CommonJS package first scans its sources for
// export names. And given its compiled module's path, better-sqlite3 skips the `bindings` package's
// search of a dozen places for it. Both are on the path of every `tq call` and first `delay()`.
const require = createRequire(import.meta.url);
const SqliteDatabase = require('better-sqlite3') as typeof Database;
const BUILT_MODULE = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
const NATIVE = existsSync(BUILT_MODULE) ? { nativeBinding: BUILT_MODULE } : {};

/** `sqlite://.tq/tq.db` is relative to the project root; `sqlite:///abs/path` is absolute. */
export function sqlitePath(url: string, projectRoot: string): string {
  const rest = url.replace(/^sqlite:\/\//i, '');
  if (!rest) throw new TqError('CONFIG', `no file in broker URL '${url}'`, { hint: 'e.g. sqlite://.tq/tq.db' });
  return isAbsolute(rest) ? rest : resolve(projectRoot, rest);
}

/**
 * Opens the broker's file in WAL mode with its tables. With `create` false a
 * file that does not exist yet is left alone (undefined): a command that only
 * reads (`tq status`, `tq inspect queues`, `tq result`) leaves no `.tq/`
 * behind; the first write creates the directory and the file.
 */
export function openDatabase(path: string, create: boolean): Database.Database | undefined {
  if (!create && !existsSync(path)) return undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const db = new SqliteDatabase(path, { timeout: 10_000, ...NATIVE });
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL survives a process crash (what we promise); only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    throw openError(path, err);
  }
}

/**
 * What a broker reads while its file does not exist: an empty database of the
 * same shape, so every read answers as an empty broker would. It refuses
 * writes (query_only), so one that reached it by mistake fails loudly instead
 * of vanishing.
 */
export function emptyStandIn(): Database.Database {
  const db = new SqliteDatabase(':memory:', NATIVE);
  db.exec(SCHEMA);
  db.pragma('query_only = ON');
  return db;
}

/** Maps SQLite failures to errors a user can act on: a corrupt file, or one that cannot be opened. */
export function openError(path: string, err: unknown): TqError {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new TqError('BROKER_CORRUPT', `${path} is not a usable SQLite database (${message})`, {
      hint: 'move the file aside (tq will create a fresh one) or point --broker at another file',
      cause: err,
    });
  }
  return new TqError('BROKER_UNREACHABLE', `cannot use SQLite broker at ${path}: ${message}`, {
    hint: 'check that the directory exists and is writable',
    cause: err,
  });
}
