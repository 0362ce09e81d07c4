import { useState } from "react";
import { hrefs, navigate } from "../lib/router.ts";

/** The header's search box: a run id, an event id or an idempotency key; Enter opens what it names. */
export function HeaderSearch() {
  const [text, setText] = useState("");
  return (
    <form
      className="header-search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        const q = text.trim();
        if (!q) return;
        navigate(hrefs.search(q));
        setText("");
      }}
    >
      <input
        type="search"
        aria-label="Search by run id, event id or idempotency key"
        placeholder="Run id, event id or idempotency key"
        value={text}
        onChange={(event) => setText(event.target.value)}
        data-testid="header-search"
      />
    </form>
  );
}
