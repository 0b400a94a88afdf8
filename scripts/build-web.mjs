// Bundles the tq web page (src/web, Preact + TypeScript) into dist/web with
// esbuild, after type-checking it: one script and one stylesheet, no CDN, so
// the page works offline from the installed package.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

try {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'src/web/tsconfig.json'], { stdio: 'inherit' });
} catch {
  console.error('the tq web page (src/web) does not type-check: see above');
  process.exit(1);
}
rmSync('dist/web', { recursive: true, force: true });
mkdirSync('dist/web/assets', { recursive: true });
await build({
  entryPoints: { app: 'src/web/main.tsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'dist/web/assets',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync('src/web/index.html', 'dist/web/index.html');
const size = (f) => `${(statSync(f).size / 1024).toFixed(1)} KiB (${(gzipSync(readFileSync(f)).length / 1024).toFixed(1)} KiB gzip)`;
console.log(`web page: app.js ${size('dist/web/assets/app.js')}, app.css ${size('dist/web/assets/app.css')}`);
