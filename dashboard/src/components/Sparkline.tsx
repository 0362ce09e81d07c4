/** Counts over time as a small bar chart; the tallest bar fills the height. */
export function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...values);
  const step = width / Math.max(1, values.length);
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-values={values.join(",")}>
      <title>{label}</title>
      <line x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} className="sparkline-base" />
      {values.map((value, index) => {
        const h = value === 0 ? 0 : Math.max(2, (value / max) * (height - 2));
        return <rect key={index} x={index * step + 1} y={height - h} width={Math.max(1, step - 2)} height={h} className="sparkline-bar" />;
      })}
    </svg>
  );
}
