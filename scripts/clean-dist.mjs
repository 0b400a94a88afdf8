// Before `npm pack` builds (prepack): start from an empty dist/, so a module
// deleted from src/ since the last build is not shipped from a stale dist/.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
rmSync('oclif.manifest.json', { force: true });
