import { pathToFileURL } from 'node:url';

let registered: Promise<void> | undefined;

/**
 * Loads a `.ts`/`.js` module with no build step. tsx's ESM hooks are registered
 * once, lazily, so commands that never load user TypeScript (most `tq call`s
 * with a JSON config) do not pay for it.
 */
export async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  if (/\.(c|m)?tsx?$/.test(path)) {
    registered ??= import('tsx/esm/api').then(({ register }) => {
      register();
    });
    await registered;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}
