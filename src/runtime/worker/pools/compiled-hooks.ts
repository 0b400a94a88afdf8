/**
 * Module loader hooks of a prefork child whose task files the main process
 * compiled (compiled-tasks.ts): each compiled module is served under its own
 * file URL, and its imports resolve as esbuild resolved them there (`./util.js`
 * to `util.ts`, tsconfig paths). This runs on Node's loader thread, so it
 * imports nothing heavy; TypeScript the manifest does not know (a dynamic
 * import the compile pass could not see) is compiled here, on demand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CompiledManifest } from './compiled-tasks.js';

interface ResolveContext { parentURL?: string }
interface LoadResult { format?: string; source?: string | Buffer; shortCircuit?: boolean }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string }>;
type NextLoad = (url: string, context: object) => Promise<LoadResult>;

let manifest: CompiledManifest = { files: {}, resolved: {} };
const TS_URL = /^file:.*\.(ts|mts|tsx)$/;

export function initialize(data: { manifest: string }): void {
  manifest = JSON.parse(readFileSync(data.manifest, 'utf8')) as CompiledManifest;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  const mapped = context.parentURL ? manifest.resolved[context.parentURL]?.[specifier] : undefined;
  if (mapped) return { url: mapped, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url: string, context: object, next: NextLoad): Promise<LoadResult> {
  const compiled = manifest.files[url];
  if (compiled) return { format: 'module', source: readFileSync(compiled, 'utf8'), shortCircuit: true };
  if (TS_URL.test(url)) {
    const { compileModule, loadEsbuild } = await import('./compiled-tasks.js');
    const esbuild = await loadEsbuild();
    return { format: 'module', source: await compileModule(esbuild, fileURLToPath(url)), shortCircuit: true };
  }
  return next(url, context);
}
