import { isAbsolute, resolve } from 'node:path';
import { TqError } from '../../errors.js';

/** `sqlite://.tq/tq.db` is relative to the project root; `sqlite:///abs/path` is absolute. */
export function sqlitePath(url: string, projectRoot: string): string {
  const rest = url.replace(/^sqlite:\/\//i, '');
  if (!rest) throw new TqError('CONFIG', `no file in broker URL '${url}'`, { hint: 'e.g. sqlite://.tq/tq.db' });
  return isAbsolute(rest) ? rest : resolve(projectRoot, rest);
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
