import { BLOCK_MAX_CHARS, safeJson, safeLines, safeText } from '../runtime/safe-text.js';
import type { ResultRecord } from '../runtime/states.js';
import type { Workflow, WorkflowNode } from '../runtime/workflow.js';

const STATE_COLOURS: Record<string, string> = {
  SUCCESS: '\x1b[32m', FAILURE: '\x1b[31m', RETRY: '\x1b[33m', REVOKED: '\x1b[35m', STARTED: '\x1b[36m', PENDING: '\x1b[90m',
};

/** `tq result` as plain text: state, value or error, timestamps, worker. Everything from the task is neutralised (safe-text.ts). */
export function renderResult(record: ResultRecord, color: boolean): string {
  const paint = (s: string) => (color ? `${STATE_COLOURS[s] ?? ''}${s}\x1b[0m` : s);
  const lines = [`id:        ${safeText(record.id)}`, `task:      ${safeText(record.task || '?')}`, `state:     ${paint(safeText(record.state))}`];
  if (record.state === 'SUCCESS') lines.push(`result:    ${safeText(safeJson(record.result), BLOCK_MAX_CHARS)}`);
  if (record.error) {
    lines.push(`error:     ${safeText(`${record.error.name}: ${record.error.message}`)}`);
    if (record.error.stack) lines.push('traceback:', ...safeLines(record.error.stack).split('\n').map((l) => `  ${l}`));
  }
  if (record.progress) lines.push(`progress:  ${Math.round(record.progress.fraction * 100)}%${record.progress.note ? ` ${safeText(record.progress.note)}` : ''}`);
  if (record.retries) lines.push(`retries:   ${record.retries}`);
  if (record.eta) lines.push(`next eta:  ${safeText(record.eta)}`);
  if (record.worker) lines.push(`worker:    ${safeText(record.worker)}`);
  if (record.queue) lines.push(`queue:     ${safeText(record.queue)}`);
  if (record.parentId) lines.push(`parent:    ${safeText(record.parentId)}`);
  if (record.groupId) lines.push(`group:     ${safeText(record.groupId)}`);
  if (record.children?.length) lines.push(`children:  ${record.children.map((c) => safeText(c)).join(', ')}`);
  for (const [label, value] of [['enqueued', record.enqueuedAt], ['started', record.startedAt], ['finished', record.finishedAt]] as const) {
    if (value) lines.push(`${`${label}:`.padEnd(10)} ${safeText(value)}`);
  }
  return lines.join('\n');
}

/**
 * The value alone, as `tq call --wait` prints it: strings bare (their newlines
 * kept), the rest as JSON. Neutralised but never cut: it is the command's output.
 */
export function renderValue(value: unknown): string {
  return typeof value === 'string' ? safeLines(value, Infinity) : safeJson(value);
}

/**
 * A workflow as an indented tree: each task with its state, each group with
 * its members (the first ones) and a count by state, then what follows; the
 * task asked about is marked. Names and ids are neutralised.
 */
export function renderWorkflow(workflow: Workflow): string {
  const out = ['workflow:'];
  const walk = (node: WorkflowNode, depth: number) => {
    const pad = '  '.repeat(depth + 1);
    const here = node.id === workflow.focus ? '  ← this task' : '';
    if (node.kind === 'task') out.push(`${pad}${safeText(node.task || '?')}[${safeText(node.id)}] ${node.state}${here}`);
    else {
      const counts = Object.entries(node.states).map(([s, n]) => `${n} ${s}`).join(', ');
      out.push(`${pad}group ${safeText(node.id)} (${node.size} member(s)${counts ? `: ${counts}` : ''})${here}`);
      for (const m of node.members) walk(m, depth + 2);
      if (node.size > node.members.length) out.push(`${pad}    … ${node.size - node.members.length} more`);
    }
    for (const n of node.next) walk(n, depth + 1);
  };
  walk(workflow.root, 0);
  if (workflow.omitted > 0) out.push(`  (${workflow.omitted} more step(s) not shown)`);
  return out.join('\n');
}
