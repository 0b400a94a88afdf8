#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// tq always runs its compiled dist/. Under NODE_ENV=development or test oclif
// would look for TypeScript sources instead, which an installed package does
// not have: it warned "Could not find typescript" on every command.
settings.enableAutoTranspile = false;

await execute({ dir: import.meta.url });
