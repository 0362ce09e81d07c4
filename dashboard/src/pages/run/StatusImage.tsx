import { useState } from "react";

/**
 * One image of a status's `data.urls`. Status data carries bare URLs, so the alt text is the status
 * label and the image's place in the gallery. An image that cannot load (gone, blocked, offline)
 * becomes its link, with the URL spelled out, rather than an empty box.
 */
export function StatusImage({ url, alt }: { url: string; alt: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <a className="status-image-broken" href={url} target="_blank" rel="noreferrer" title={url} data-testid="status-image-broken">
        <span>{alt} could not load</span>
        <span className="mono">{url}</span>
      </a>
    );
  }
  return (
    <a href={url} target="_blank" rel="noreferrer">
      <img src={url} alt={alt} loading="lazy" onError={() => setFailed(true)} />
    </a>
  );
}
