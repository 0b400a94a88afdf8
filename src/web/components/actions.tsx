import { useEffect, useState } from 'preact/hooks';
import { act } from '../api.js';

/** A field the confirmation asks for before the action runs (pool size, a rate). */
export interface Field {
  key: string;
  label: string;
  kind: 'number' | 'text';
  value: string;
}

export interface PendingAction {
  /** The action's name in POST /api/actions/NAME. */
  name: string;
  title: string;
  detail: string;
  body: Record<string, unknown>;
  fields?: Field[];
  confirmLabel: string;
  danger?: boolean;
}

type Listener = (a: PendingAction | null) => void;
const listeners = new Set<Listener>();
let canAct = false;

export function setCanAct(value: boolean): void {
  canAct = value;
}

/** Asks for confirmation in the page (never window.confirm); the host below runs the action. */
export function confirmAction(a: PendingAction): void {
  for (const l of listeners) l(a);
}

/** A button that starts an action; not rendered at all where actions are off. */
export function ActionButton(props: { action: PendingAction; label: string; testId?: string; danger?: boolean }) {
  if (!canAct) return null;
  return (
    <button type="button" class={props.danger ? 'act danger' : 'act'} data-testid={props.testId} onClick={() => confirmAction(props.action)}>
      {props.label}
    </button>
  );
}

/** The confirmation dialog and the line that reports what the last action did. */
export function ActionHost() {
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<{ ok: boolean; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const l: Listener = (a) => {
      setPending(a);
      setValues(Object.fromEntries((a?.fields ?? []).map((f) => [f.key, f.value])));
    };
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  const run = async () => {
    if (!pending) return;
    setBusy(true);
    const body = { ...pending.body };
    for (const f of pending.fields ?? []) body[f.key] = f.kind === 'number' ? Number(values[f.key]) : values[f.key];
    const result = await act(pending.name, body).catch((err: Error) => ({ ok: false, message: err.message }));
    setBusy(false);
    setPending(null);
    setStatus(result);
  };
  return (
    <>
      {status && (
        <div class={status.ok ? 'status ok' : 'status error'} data-testid="action-status" role="status">
          {status.message}
          <button type="button" class="link" onClick={() => setStatus(null)} aria-label="dismiss">×</button>
        </div>
      )}
      {pending && (
        <div class="overlay">
          <div class="dialog" role="dialog" aria-modal="true" data-testid="confirm-dialog">
            <h2>{pending.title}</h2>
            <p>{pending.detail}</p>
            {(pending.fields ?? []).map((f) => (
              <label class="field">
                {f.label}
                {f.kind === 'number' ? (
                  <input type="number" min={1} value={values[f.key] ?? ''} data-testid={`field-${f.key}`} onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })} />
                ) : (
                  <input type="text" value={values[f.key] ?? ''} data-testid={`field-${f.key}`} onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })} />
                )}
              </label>
            ))}
            <div class="buttons">
              <button type="button" onClick={() => setPending(null)} disabled={busy}>Cancel</button>
              <button type="button" class={pending.danger ? 'danger' : 'primary'} data-testid="confirm" onClick={() => void run()} disabled={busy}>
                {pending.confirmLabel}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
