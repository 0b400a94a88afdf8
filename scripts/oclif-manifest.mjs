// Writes oclif.manifest.json at build time. Without it oclif imports every
// command module on each run to learn its flags, so `tq call` would load ink,
// React and cron-parser (for `top`, `worker`, `beat`) and take twice as long.
import { writeFileSync } from 'node:fs';
import { Plugin } from '@oclif/core';

const plugin = new Plugin({ root: process.cwd(), type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync('oclif.manifest.json', JSON.stringify(plugin.manifest));
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
