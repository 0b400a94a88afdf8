import { Flags } from '@oclif/core';
import { EXIT_CODES, TqError } from '../runtime/errors.js';
import type { InspectAnswer } from '../runtime/inspect.js';
import { renderAnswers } from '../ui/inspect-view.js';
import { safeJson } from '../runtime/safe-text.js';
import { parseSeconds } from './parse-args.js';

/** Flags shared by the commands that talk to running workers. */
export const clusterFlags = {
  timeout: Flags.string({ char: 't', description: 'seconds to wait for replies (default: inspect 1; control 5, pool_grow and pool_shrink 30, shutdown 10); ends sooner once every worker answered' }),
  destination: Flags.string({ char: 'd', description: 'comma-separated worker names that should answer (default: all)' }),
  json: Flags.boolean({ description: 'print JSON' }),
};

export function destinationOf(flag: string | undefined): string[] | undefined {
  return flag?.split(',').map((d) => d.trim()).filter(Boolean);
}

/** --timeout in ms, or the verb's default. */
export function timeoutMsOf(flag: string | undefined, defaultMs: number): number {
  const seconds = parseSeconds('timeout', flag);
  return seconds === undefined ? defaultMs : seconds * 1000;
}

export interface AnswersReport {
  verb: string;
  json: boolean;
  brokerUrl: string;
  /** Whether an expected worker's silence fails the command (not for revoke: a revocation is stored, so a silent worker honours it too). */
  silenceFails: boolean;
}

/**
 * Prints what `tq inspect` / `tq control` got back and sets the exit code, so
 * silence is never success: a worker that answered with an error exits 8
 * (WORKER_ERROR); one that was expected and did not answer, 5 (TIMEOUT). When
 * no worker was online to ask, nothing was sent: exit 5 with one line.
 */
export function reportAnswers(answers: InspectAnswer, report: AnswersReport, log: (text: string) => void): void {
  if (answers.length === 0) {
    throw new TqError('TIMEOUT', `no worker is online on ${report.brokerUrl} to answer ${report.verb}`, {
      hint: 'start one with `tq worker`; `tq status` lists the workers that reported to this broker',
    });
  }
  log(report.json ? safeJson(Object.fromEntries(answers.map((a) => [a.source, a.ok ? a.data : { error: a.data }]))) : renderAnswers(report.verb, answers));
  const failed = answers.filter((a) => !a.ok && !a.noReply).map((a) => a.source);
  const silent = answers.filter((a) => a.noReply).map((a) => `${a.source} (${String(a.data)})`);
  if (silent.length > 0) {
    const what = `no reply from ${silent.join(', ')}`;
    if (report.silenceFails) {
      warn(`Error: ${what}`, "Hint: -d takes the names workers were given with -n (`tq status` lists them); a busy worker may need a longer --timeout");
      process.exitCode = EXIT_CODES.TIMEOUT;
    } else {
      warn(`Note: ${what}; the revocation is stored, so they will not start these tasks either`);
    }
  }
  if (failed.length > 0) {
    warn(`Error: ${failed.join(', ')} could not carry out ${report.verb} (the reply above says why)`);
    process.exitCode = EXIT_CODES.WORKER_ERROR;
  }
}

function warn(...lines: string[]): void {
  process.stderr.write(`${lines.join('\n')}\n`);
}
