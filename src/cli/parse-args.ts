import { Flags } from '@oclif/core';
import { LOG_LEVELS, parseLogLevel } from '../runtime/config-schema.js';
export { parseJsonFlag, parsePositional, parseSeconds } from './parse-values.js';

/**
 * `-l LEVEL` for worker and beat: any case, and Celery's names (`-l INFO`,
 * `-l WARNING`), as Celery users type them. A level it does not know is passed
 * on as typed and refused by config (exit 2, listing the levels), since an
 * error thrown here would reach the user wrapped in oclif's parse message.
 */
export const logLevelFlag = () =>
  Flags.string({
    char: 'l',
    description: `log level: ${LOG_LEVELS.join(' | ')} (any case; also Celery's WARNING, CRITICAL)`,
    parse: async (raw) => parseLogLevel(raw) ?? raw,
  });
