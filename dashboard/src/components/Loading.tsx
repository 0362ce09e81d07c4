export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}
