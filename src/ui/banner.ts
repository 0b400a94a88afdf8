import type { TqConfig } from '../runtime/config.js';
import { maskUrl } from '../runtime/config.js';
import { safeText } from '../runtime/safe-text.js';

export interface BannerInfo {
  hostname: string;
  version: string;
  config: TqConfig;
  pool: string;
  concurrency: number;
  queues: readonly string[];
  tasks: readonly string[];
  beat: boolean;
}

/** Where results go: the broker itself (one store), or another store; with Celery's protocol, Celery's result backend on it. */
function backendRow(config: BannerInfo['config']): string {
  if (config.protocol === 'celery') return `${maskUrl(config.backendUrl)} (Celery's result backend; protocol celery)`;
  return config.backendUrl === config.brokerUrl ? 'the broker (one store)' : maskUrl(config.backendUrl);
}

/** The worker's start-up banner, in the spirit of Celery's: who, where, how, what. Names are neutralised (safe-text.ts). */
export function renderBanner(info: BannerInfo, color: boolean): string {
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const rows: [string, string][] = [
    ['broker', maskUrl(info.config.brokerUrl)],
    ['backend', backendRow(info.config)],
    ['pool', `${info.pool} (concurrency: ${info.concurrency})`],
    ['queues', info.queues.join(', ')],
    ['tasks dir', info.config.tasksDir],
    ['lease', `${info.config.leaseMs / 1000}s`],
  ];
  if (info.config.configFile) rows.push(['config', info.config.configFile]);
  if (info.beat) rows.push(['beat', 'embedded (-B)']);
  const lines = [
    '',
    ` ${bold(`tq ${info.version}`)} ${dim('·')} ${bold(safeText(info.hostname))}`,
    ` ${dim('─'.repeat(40))}`,
    ...rows.map(([k, v]) => `  ${dim('.>')} ${k.padEnd(10)} ${safeText(v)}`),
    '',
    ` ${bold('[tasks]')}`,
    ...(info.tasks.length > 0 ? info.tasks.map((t) => `  . ${safeText(t)}`) : ['  (none found)']),
    '',
  ];
  return lines.join('\n');
}
