import { readFileSync, realpathSync } from 'node:fs';
import { register } from 'node:module';
import { listTaskFiles } from '../../discovery.js';
import type { Logger } from '../../log.js';
import { usePrecompiled } from '../../ts-loader.js';
import { compileTaskFiles, type CompiledManifest } from './compiled-tasks.js';

/**
 * Compiles the task files under `tasksDir` for loading without tsx (compiled-tasks.ts). Should
 * that fail (a syntax error, no esbuild), undefined: they are then loaded through tsx as before,
 * and tsx reports what is wrong with them, as it always did.
 */
export async function precompileTaskFiles(tasksDir: string, log: Logger): Promise<string | undefined> {
  try {
    const root = realpathSync(tasksDir);
    return await compileTaskFiles(listTaskFiles(root, root));
  } catch (err) {
    log.debug(`task files not compiled, tsx will load them: ${(err as Error).message}`);
    return undefined;
  }
}

/** From now on this process imports the compiled modules of the manifest natively, through loader hooks, never through tsx. */
export function loadPrecompiled(manifestPath: string): void {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CompiledManifest;
  register(new URL('./compiled-hooks.js', import.meta.url), { data: { manifest: manifestPath } });
  // As tsx does: stack traces name the TypeScript lines (the compiled modules carry inline source maps).
  process.setSourceMapsEnabled(true);
  usePrecompiled(Object.keys(manifest.files));
}
