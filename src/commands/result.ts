import { Args, Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { parseSeconds } from '../cli/parse-args.js';
import { TqError } from '../runtime/errors.js';
import { isFinal } from '../runtime/states.js';
import { renderResult, renderWorkflow } from '../ui/result-view.js';
import { workflowOf } from '../runtime/workflow.js';
import { safeJson } from '../runtime/safe-text.js';

export default class ResultCommand extends TqCommand {
  static override description = "Show a task's state and result (or error), timestamps and worker, and the workflow it belongs to (parents, children, group members).";
  static override examples = ['<%= config.bin %> result 1f0c…', '<%= config.bin %> result 1f0c… --wait --timeout 30 --json'];
  static override args = { id: Args.string({ required: true, description: 'task id' }) };
  static override flags = {
    wait: Flags.boolean({ char: 'w', description: 'wait until the task has finished' }),
    timeout: Flags.string({ description: 'with --wait: seconds to wait' }),
    json: Flags.boolean({ description: 'print the record as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ResultCommand);
    const config = await this.resolveTqConfig(flags);
    const client = await this.openClient(config);
    const handle = client.asyncResult(args.id);
    const timeout = parseSeconds('timeout', flags.timeout);
    const record = flags.wait
      ? await client.backend.waitForResult(args.id, timeout === undefined ? 2 ** 31 - 1 : timeout * 1000)
      : await client.backend.getResult(handle.id);
    if (!record) {
      throw new TqError('UNKNOWN_ID', `no task with id ${args.id} is known to ${client.backend.displayUrl}`, {
        hint: 'the id may be mistyped, or its result expired (results are kept for resultExpiresMs, default 1 day)',
      });
    }
    const workflow = await workflowOf(client.backend, args.id);
    if (flags.json) this.log(safeJson(workflow ? { ...record, workflow } : record));
    else this.log(workflow ? `${renderResult(record, this.color())}\n${renderWorkflow(workflow)}` : renderResult(record, this.color()));
    if (flags.wait && !isFinal(record.state)) throw new TqError('TIMEOUT', `task ${args.id} is still ${record.state}`);
    if (flags.wait && (record.state === 'FAILURE' || record.state === 'REVOKED')) process.exitCode = 6; // as call --wait: it did not succeed
  }
}
