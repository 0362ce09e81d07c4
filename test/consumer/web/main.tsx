// A browser app on durably/react: its bundle must hold no server code.
import { createRoot } from "react-dom/client";
import { DurablyProvider } from "durably/react";
import { RunData } from "../src/seed-components.tsx";

const id = new URLSearchParams(location.search).get("run") ?? "";
createRoot(document.getElementById("root")!).render(
  <DurablyProvider>
    <RunData id={id} />
  </DurablyProvider>,
);
