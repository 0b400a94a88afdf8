#!/usr/bin/env node
// `tq call` is run the most, often from scripts, and loading oclif was most of
// its wall time: it runs without oclif when its command line allows
// (dist/cli/call-fast.js); anything else, help and errors included, goes to
// oclif, and so does everything while oclif's own debug output is asked for.
const argv = process.argv.slice(2);
const oclifDebug = Boolean(process.env.DEBUG) || ['1', 'true'].includes(process.env.TQ_DEBUG ?? '');
const done = argv[0] === 'call' && !oclifDebug && (await (await import('../dist/cli/call-fast.js')).callWithoutOclif(argv.slice(1)));
if (!done) {
  const { execute, settings } = await import('@oclif/core');
  // tq always runs its compiled dist/. Under NODE_ENV=development or test oclif
  // would look for TypeScript sources instead, which an installed package does
  // not have: it warned "Could not find typescript" on every command.
  settings.enableAutoTranspile = false;
  await execute({ dir: import.meta.url });
}
