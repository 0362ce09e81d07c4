// A customer's page: the seed components, on another origin, reading the engine with a public token.
import { createRoot } from "react-dom/client";
import { DurablyProvider } from "durably/react";
import { EventRunData, RunData } from "../../fixtures/seed-components.tsx";

const params = new URLSearchParams(location.search);

createRoot(document.getElementById("root")!).render(
  <DurablyProvider baseUrl={params.get("api")!} accessToken={params.get("token")!}>
    <section id="run-data">
      <RunData id={params.get("run")!} />
    </section>
    <section id="event-run-data">
      <EventRunData id={params.get("event")!} />
    </section>
  </DurablyProvider>,
);
