import { pathToFileURL } from 'node:url';

type TsImport = (specifier: string, parent: string) => Promise<Record<string, unknown>>;
let tsImport: Promise<TsImport> | undefined;
/** Module URLs that loader hooks already serve as compiled JavaScript (a prefork child's task files). */
let precompiled: ReadonlySet<string> = new Set();

/**
 * Loads a `.ts`/`.js` module with no build step. TypeScript goes through tsx's
 * `tsImport`, which loads it as an ES module whatever the project's
 * package.json says (a plain `import()` under tsx would compile it to CommonJS
 * in a project without `"type": "module"`, and fail on `import { task } from
 * 'tq'`). tsx is loaded lazily, so commands that never load user TypeScript
 * do not pay for it; nor does a process whose TypeScript was compiled for it
 * (see usePrecompiled).
 */
export async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  if (!/\.(c|m)?tsx?$/.test(path) || precompiled.has(url)) return (await import(url)) as Record<string, unknown>;
  tsImport ??= import('tsx/esm/api').then((api) => api.tsImport as unknown as TsImport);
  return (await tsImport)(url, import.meta.url);
}

/** From now on these module URLs are imported natively: loader hooks registered by the caller serve them compiled. */
export function usePrecompiled(urls: Iterable<string>): void {
  precompiled = new Set(urls);
}
