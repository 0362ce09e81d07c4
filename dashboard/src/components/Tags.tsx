/** Run tags as small chips; each links to the runs list filtered by it. */
export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="muted">—</span>;
  return (
    <span className="tags">
      {tags.map((tag) => (
        <a key={tag} className="tag" href={`#/runs?tag=${encodeURIComponent(tag)}`} onClick={(e) => e.stopPropagation()}>
          {tag}
        </a>
      ))}
    </span>
  );
}
