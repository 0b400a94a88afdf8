import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTaskFiles, loadsAsEsm, type CompiledManifest } from '../../src/runtime/worker/pools/compiled-tasks.js';

const dirs: string[] = [];
function project(type?: 'module'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tq-compiled-unit-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', ...(type ? { type } : {}) }));
  mkdirSync(join(dir, 'tasks'));
  return dir;
}
const url = (path: string) => pathToFileURL(path).href;

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('compiled task files for prefork children', () => {
  it('knows which TypeScript tsx would load as an ES module', () => {
    const esm = project('module');
    const cjs = project();
    expect(loadsAsEsm(join(esm, 'tasks', 'a.ts'))).toBe(true);
    expect(loadsAsEsm(join(cjs, 'tasks', 'a.ts'))).toBe(false);
    expect(loadsAsEsm(join(cjs, 'tasks', 'a.mts'))).toBe(true);
  });

  it('compiles the task files and the local modules they import, and records how each import resolved', async () => {
    const dir = project('module');
    writeFileSync(join(dir, 'tasks', 'util.ts'), 'export const twice = (n: number): number => n * 2;\n');
    writeFileSync(join(dir, 'tasks', 'a.ts'), "import { twice } from './util.js';\nimport { join } from 'node:path';\nexport const x: number = twice(2);\nexport const y = join;\n");
    const manifest = JSON.parse(readFileSync((await compileTaskFiles([join(dir, 'tasks', 'a.ts')]))!, 'utf8')) as CompiledManifest;
    expect(Object.keys(manifest.files).sort()).toEqual([url(join(dir, 'tasks', 'a.ts')), url(join(dir, 'tasks', 'util.ts'))]);
    expect(manifest.resolved[url(join(dir, 'tasks', 'a.ts'))]).toEqual({ './util.js': url(join(dir, 'tasks', 'util.ts')) });
    const compiled = readFileSync(manifest.files[url(join(dir, 'tasks', 'a.ts'))]!, 'utf8');
    expect(compiled).not.toMatch(/: number/);
    expect(compiled).toMatch(/sourceMappingURL=data:/);
  });

  it('compiles nothing for JavaScript task files, nor when some TypeScript would be CommonJS under tsx', async () => {
    const js = project('module');
    writeFileSync(join(js, 'tasks', 'a.mjs'), 'export const x = 1;\n');
    expect(await compileTaskFiles([join(js, 'tasks', 'a.mjs')])).toBeUndefined();
    const cjs = project();
    writeFileSync(join(cjs, 'tasks', 'a.ts'), 'export const x: number = 1;\n');
    expect(await compileTaskFiles([join(cjs, 'tasks', 'a.ts')])).toBeUndefined();
  });
});
