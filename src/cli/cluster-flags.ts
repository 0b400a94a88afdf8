import { Flags } from '@oclif/core';

/** Flags shared by the commands that talk to running workers. */
export const clusterFlags = {
  timeout: Flags.string({ char: 't', description: 'seconds to wait for replies', default: '1' }),
  destination: Flags.string({ char: 'd', description: 'comma-separated worker names that should answer (default: all)' }),
  json: Flags.boolean({ description: 'print JSON' }),
};

export function destinationOf(flag: string | undefined): string[] | undefined {
  return flag?.split(',').map((d) => d.trim()).filter(Boolean);
}
