import { useState } from "react";
import { loadsByItself } from "../../lib/image-policy.ts";

/**
 * One image of a status's `data.urls`. Status data carries bare URLs, so the alt text is the status
 * label and the image's place in the gallery. An image that cannot load (gone, blocked, offline)
 * becomes its link, with the URL spelled out, rather than an empty box; so does one the dashboard
 * does not load by itself (plain http, an internal host: see image-policy).
 */
export function StatusImage({ url, alt }: { url: string; alt: string }) {
  const [failed, setFailed] = useState(false);
  if (!loadsByItself(url)) {
    const text = (
      <>
        <span>{alt} is not loaded here: not a public https image</span>
        <span className="mono">{url}</span>
      </>
    );
    // Only web addresses become links: never a javascript: or other scheme.
    return /^https?:\/\//i.test(url) ? (
      <a className="status-image-broken" href={url} target="_blank" rel="noreferrer" title={url} data-testid="status-image-link">
        {text}
      </a>
    ) : (
      <span className="status-image-broken" title={url} data-testid="status-image-link">
        {text}
      </span>
    );
  }
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
      <img src={url} alt={alt} loading="lazy" referrerPolicy="no-referrer" onError={() => setFailed(true)} />
    </a>
  );
}
