/**
 * TypeScript task files compiled once per worker start, so neither the
 * worker's main process nor its prefork children load tsx, which cost each
 * ~25 MiB resident and some 0.4 s of start-up (threads executors still do). The main process compiles each
 * local TypeScript module the task files reach (esbuild, which tsx itself
 * uses, honouring the nearest tsconfig.json) into a cache directory, keyed by
 * content hash, and writes a manifest: the compiled file per module URL, and
 * how each import was resolved. Every process then serves those through small
 * loader hooks (compiled-hooks.ts) under the modules' own URLs, so
 * `import.meta.url`, relative paths and stack traces (source maps) point at
 * the TypeScript files. Unlike tsx, whose every tsImport is a namespace of its
 * own, two task files importing one module share one instance of it, as they
 * do in a JavaScript project.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a child needs to load the compiled modules: written as JSON by the main process. */
export interface CompiledManifest {
  /** module file URL → path of its compiled ES module */
  files: Record<string, string>;
  /** importer file URL → specifier as written → resolved file URL (local modules only) */
  resolved: Record<string, Record<string, string>>;
}

const TS_FILE = /\.(ts|mts|tsx)$/;

type Esbuild = typeof import('esbuild');

/** esbuild as tsx depends on it, so it is found however the packages were laid out. */
export async function loadEsbuild(): Promise<Esbuild> {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  return (await import(pathToFileURL(fromTsx.resolve('esbuild')).href)) as Esbuild;
}

/** One TypeScript module as an ES module (tsx loads TypeScript as ESM whatever package.json says), with an inline source map. */
export async function compileModule(esbuild: Esbuild, file: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [file],
    // Next to the source, so the source map names it by its own file name.
    outfile: join(dirname(file), `${basename(file)}.mjs`),
    bundle: false,
    write: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * Whether tsx would load this TypeScript file as an ES module: .mts always,
 * .ts/.tsx when the nearest package.json says "type": "module". Anything else
 * tsx compiles to CommonJS (require, __dirname…), which these hooks do not do.
 */
export function loadsAsEsm(file: string): boolean {
  if (file.endsWith('.mts')) return true;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Compiles the TypeScript task files and every local TypeScript module they
 * import (statically); packages stay as they are. Returns the manifest's path,
 * or undefined when there is no TypeScript to compile, or some of it would be
 * CommonJS under tsx (then the children load it through tsx, as before).
 */
export async function compileTaskFiles(taskFiles: string[]): Promise<string | undefined> {
  const entries = taskFiles.filter((f) => TS_FILE.test(f));
  if (entries.length === 0 || !entries.every(loadsAsEsm)) return undefined;
  const esbuild = await loadEsbuild();
  try {
    // A bundle pass only for its metafile: the module graph and how each import was resolved.
    const graph = await esbuild.build({ entryPoints: entries, bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, outdir: tmpdir(), logLevel: 'silent', absWorkingDir: '/' });
    const dir = cacheDir();
    const manifest: CompiledManifest = { files: {}, resolved: {} };
    for (const [input, info] of Object.entries(graph.metafile.inputs)) {
      const file = resolve('/', input);
      const url = pathToFileURL(file).href;
      for (const imp of info.imports) {
        // Packages (external) resolve as Node resolves them; only files esbuild found on disk are mapped.
        if (imp.external || !imp.original || imp.path.includes(':')) continue;
        (manifest.resolved[url] ??= {})[imp.original] = pathToFileURL(resolve('/', imp.path)).href;
      }
      if (file.endsWith('.cts')) return undefined;
      if (!TS_FILE.test(file)) continue;
      if (!loadsAsEsm(file)) return undefined;
      const source = readFileSync(file, 'utf8');
      const key = createHash('sha256').update(`${esbuild.version}\0${file}\0${source}`).digest('hex').slice(0, 32);
      const out = join(dir, `${key}.mjs`);
      // Compiled afresh each start: a tsconfig.json change does not change the key, and esbuild takes milliseconds.
      writeAtomically(out, await compileModule(esbuild, file));
      manifest.files[url] = out;
    }
    const text = JSON.stringify(manifest);
    const path = join(dir, `manifest-${createHash('sha256').update(text).digest('hex').slice(0, 32)}.json`);
    writeAtomically(path, text);
    return path;
  } finally {
    await esbuild.stop();
  }
}

/** Another worker's child may be reading the same file: it sees the old text or the new, never half. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, path);
}

/** A cache directory only this user can write: the shared one if it is ours, else a fresh one. */
function cacheDir(): string {
  const uid = process.getuid?.() ?? 0;
  const shared = join(tmpdir(), `tq-compiled-${uid}`);
  try {
    mkdirSync(shared, { recursive: true, mode: 0o700 });
    const stat = statSync(shared);
    if (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0) return shared;
  } catch {
    // fall through to a private directory
  }
  return mkdtempSync(join(tmpdir(), 'tq-compiled-'));
}
