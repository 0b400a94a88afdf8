/** A task state as a coloured badge; the state's text is the badge's only content. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state s-${state.toLowerCase()}`} data-state={state}>{state}</span>;
}

/** Progress as a native <meter> (no inline style needed) and its note. */
export function Progress({ progress }: { progress: { fraction: number; note: string | null } | null }) {
  if (!progress) return null;
  const pct = Math.round(Math.max(0, Math.min(1, progress.fraction)) * 100);
  return (
    <span class="progress">
      <meter min={0} max={100} value={pct} /> {pct}%{progress.note ? ` ${progress.note}` : ''}
    </span>
  );
}
