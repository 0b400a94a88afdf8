// Packs tq the way `npm pack` (and so `npm publish`) does and installs the
// tarball into a scratch project, as a user's project would depend on it.
// Shared by the packaging test (test/e2e/packaging.test.ts) and `npm run bench`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Copies the project as a fresh clone has it — the files git tracks or would
 * track, so no dist/ and no oclif.manifest.json — with node_modules linked
 * from `repo` (the build needs the dev dependencies, not a second install).
 */
export function freshCopy(repo, dest) {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' });
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!existsSync(join(repo, file))) continue; // deleted in the work tree, not yet in git
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(repo, file), join(dest, file));
  }
  symlinkSync(join(repo, 'node_modules'), join(dest, 'node_modules'), 'dir');
}

/**
 * `npm pack` in `dir`, writing the tarball to `dest`. Without ignoreScripts
 * this runs prepack, which builds. Returns the tarball's path and the files in it.
 */
export function pack(dir, dest, { ignoreScripts = false } = {}) {
  const args = ['pack', '--json', '--pack-destination', dest, ...(ignoreScripts ? ['--ignore-scripts'] : [])];
  const out = execFileSync('npm', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  // Script output (the build's lines) may come first; npm's JSON report is the last thing printed.
  const [report] = JSON.parse(out.slice(out.lastIndexOf('\n[\n') + 1));
  return { tarball: join(dest, report.filename), files: report.files.map((f) => f.path) };
}

/**
 * Makes `project` a package that depends on `tarball`, with `tasks` (file name
 * → source) in its tasks/ directory, and installs it with npm. Returns the
 * installed `tq` executable (node_modules/.bin/tq).
 */
export function installTarball(project, tarball, repo, tasks) {
  const sqliteVersion = JSON.parse(readFileSync(join(repo, 'node_modules/better-sqlite3/package.json'), 'utf8')).version;
  mkdirSync(join(project, 'tasks'), { recursive: true });
  // The override pins better-sqlite3 to the clone's version, whose compiled module is reused below.
  const manifest = { name: 'tq-scratch', private: true, type: 'module', overrides: { 'better-sqlite3': sqliteVersion } };
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, source] of Object.entries(tasks)) writeFileSync(join(project, 'tasks', name), source);
  // From npm's cache where it can. --ignore-scripts: better-sqlite3's install script would compile SQLite
  // from source (a minute or more on two cores, as its prebuilt download is not reachable from here)...
  execFileSync('npm', ['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project, stdio: ['ignore', 'pipe', 'pipe'],
  });
  // ...so it gets the module that script built in the clone, for the same version and the same Node.
  const release = join(project, 'node_modules/better-sqlite3/build/Release');
  mkdirSync(release, { recursive: true });
  copyFileSync(join(repo, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), join(release, 'better_sqlite3.node'));
  return join(project, 'node_modules/.bin/tq');
}
