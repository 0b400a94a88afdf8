import type { Backend } from './brokers/backend.js';
import type { ResultRecord, TaskState } from './states.js';

/** One step of a workflow as `tq result` shows it. */
export type WorkflowNode =
  | { kind: 'task'; id: string; task: string; state: TaskState | 'UNKNOWN'; next: WorkflowNode[] }
  | { kind: 'group'; id: string; size: number; states: Record<string, number>; members: WorkflowNode[]; next: WorkflowNode[] };

export interface Workflow {
  root: WorkflowNode;
  /** The id asked about. */
  focus: string;
  /** Nodes left out once the tree grew past its bound. */
  omitted: number;
}

/** Members of a group shown one by one; the rest are counted by state. */
const MEMBERS_SHOWN = 10;
/** Nodes read at most for one tree (a chain of thousands, a group of 10,000). */
const NODES_READ = 200;

interface GroupMeta {
  members: string[];
  body?: string;
}

/**
 * The workflow a task belongs to, rebuilt from records alone: up through
 * each record's parentId (a chord body's parent is its group) to the root,
 * then down through children, group records (members, and a chord's body).
 * Null when the task is alone (no parent, no children, no group).
 */
export async function workflowOf(backend: Backend, id: string): Promise<Workflow | null> {
  const reader = new Reader(backend);
  const record = await reader.record(id);
  if (!record || (!record.parentId && !record.children?.length && !record.groupId && (record.rootId ?? id) === id)) return null;
  const rootId = await reader.rootOf(id, record);
  const root = (await reader.group(rootId)) ? await reader.groupNode(rootId) : await reader.taskNode(rootId);
  return { root, focus: id, omitted: reader.omitted };
}

class Reader {
  private readonly records = new Map<string, ResultRecord | null>();
  private readonly groups = new Map<string, GroupMeta | null>();
  private budget = NODES_READ;
  omitted = 0;

  constructor(private readonly backend: Backend) {}

  async record(id: string): Promise<ResultRecord | null> {
    if (!this.records.has(id)) this.records.set(id, await this.backend.getResult(id));
    return this.records.get(id)!;
  }

  async group(id: string): Promise<GroupMeta | null> {
    if (!this.groups.has(id)) {
      const raw = await this.backend.getMeta(`group:${id}`);
      this.groups.set(id, raw === null ? null : (JSON.parse(raw) as GroupMeta));
    }
    return this.groups.get(id)!;
  }

  /** Up through parents (a group stands for its members: up through the first one's parent). */
  async rootOf(id: string, record: ResultRecord): Promise<string> {
    let current = id;
    let parent = record.parentId ?? null;
    for (let hops = 0; parent && hops < NODES_READ; hops++) {
      const group = await this.group(parent);
      const next = group ? group.members[0] && (await this.record(group.members[0]))?.parentId : (await this.record(parent))?.parentId;
      current = parent;
      parent = next ?? null;
    }
    if (current === id && record.groupId && (await this.group(record.groupId)) && !record.parentId) return record.groupId;
    return current;
  }

  async taskNode(id: string): Promise<WorkflowNode> {
    const r = await this.record(id);
    this.budget--;
    const next = await this.nextOf(r?.children ?? []);
    return { kind: 'task', id, task: r?.task ?? '?', state: r?.state ?? 'UNKNOWN', next };
  }

  async groupNode(id: string): Promise<WorkflowNode> {
    const g = (await this.group(id))!;
    const states: Record<string, number> = {};
    const members: WorkflowNode[] = [];
    for (const [i, m] of g.members.entries()) {
      if (i < MEMBERS_SHOWN && this.budget > 0) {
        const node = await this.taskNode(m);
        members.push(node);
        if (node.kind === 'task') states[node.state] = (states[node.state] ?? 0) + 1;
      } else {
        const state = (await this.record(m))?.state ?? 'UNKNOWN';
        states[state] = (states[state] ?? 0) + 1;
        this.omitted++;
      }
    }
    const next = g.body ? [await this.taskNode(g.body)] : [];
    return { kind: 'group', id, size: g.members.length, states, members, next };
  }

  /** A task's children: its group (or groups) as one node each, the rest as tasks. */
  private async nextOf(children: readonly string[]): Promise<WorkflowNode[]> {
    const out: WorkflowNode[] = [];
    const seenGroups = new Set<string>();
    for (const child of children) {
      if (this.budget <= 0) {
        this.omitted++;
        continue;
      }
      const r = await this.record(child);
      const g = r?.groupId;
      if (g && (await this.group(g))) {
        if (!seenGroups.has(g)) out.push(await this.groupNode(g));
        seenGroups.add(g);
      } else out.push(await this.taskNode(child));
    }
    return out;
  }
}
