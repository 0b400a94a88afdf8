// tsc compiles TypeScript only; the Redis broker's Lua scripts are read at run
// time from beside the compiled modules, so copy every src/**/*.lua into dist/.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
let copied = 0;
for (const file of walk('src').filter((f) => f.endsWith('.lua'))) {
  const target = join('dist', relative('src', file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
  copied++;
}
console.log(`copied ${copied} asset file(s) to dist/`);
