import { FINAL_STATES } from '../format.js';
import { ActionButton } from './actions.js';

/** Revoke and terminate while a task may still run; retry once it failed or was revoked. */
export function TaskActions({ task }: { task: { id: string; name: string; state: string } }) {
  const open = !FINAL_STATES.includes(task.state);
  const what = `${task.name}[${task.id}]`;
  return (
    <span class="actions">
      {open && (
        <ActionButton
          label="revoke"
          testId={`revoke-${task.id}`}
          action={{ name: 'revoke', title: 'Revoke this task?', detail: `${what} will not run; if it already runs, it finishes (terminate ends it).`, body: { id: task.id }, confirmLabel: 'Revoke' }}
        />
      )}
      {open && (
        <ActionButton
          label="terminate"
          danger
          testId={`terminate-${task.id}`}
          action={{ name: 'terminate', title: 'Terminate this task?', detail: `${what} is revoked and, if it runs, ended now.`, body: { id: task.id }, confirmLabel: 'Terminate', danger: true }}
        />
      )}
      {(task.state === 'FAILURE' || task.state === 'REVOKED') && (
        <ActionButton
          label="retry"
          testId={`retry-${task.id}`}
          action={{ name: 'retry', title: 'Run this task again?', detail: `${what} is sent again with the same arguments, as a new task.`, body: { id: task.id }, confirmLabel: 'Retry' }}
        />
      )}
    </span>
  );
}
