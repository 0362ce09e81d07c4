import { useState } from "react";

/** Copies text (an id, a JSON value) and says so for a moment. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(text).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1200);
    });
  };
  return (
    <button type="button" className="button-link small" onClick={copy} title="Copy to clipboard">
      {copied ? "Copied" : label}
    </button>
  );
}
