import { useMemo } from "react";
import { DurablyProvider } from "durably/react";
import { LoginForm } from "./auth/LoginForm.tsx";
import { useAuth } from "./auth/use-auth.ts";
import { Layout } from "./components/Layout.tsx";
import { useRoute } from "./lib/router.ts";
import { streamSourceWithKey } from "./lib/stream-source.ts";
import { EventPage } from "./pages/EventPage.tsx";
import { NotFoundPage } from "./pages/NotFoundPage.tsx";
import { RunPage } from "./pages/RunPage.tsx";
import { RunsPage } from "./pages/RunsPage.tsx";
import { SchedulesPage } from "./pages/SchedulesPage.tsx";
import { SearchPage } from "./pages/SearchPage.tsx";
import { TasksPage } from "./pages/TasksPage.tsx";
import { TriggerPage } from "./pages/TriggerPage.tsx";
import { WaitpointsPage } from "./pages/WaitpointsPage.tsx";

export function App() {
  const auth = useAuth();
  const route = useRoute();
  // With a key, streams open with short-lived stream tokens; in dev mode (no key) they need none.
  const createEventSource = useMemo(() => (auth.token ? streamSourceWithKey(auth.token) : undefined), [auth.token]);

  if (auth.needsLogin) return <LoginForm rejected={auth.rejected} onSubmit={auth.signIn} />;

  return (
    // Same origin: the engine serves both this page and /api.
    <DurablyProvider baseUrl="" accessToken={auth.token} queryClient={auth.queryClient} createEventSource={createEventSource}>
      <Layout route={route} signedIn={auth.token !== undefined} onSignOut={auth.signOut}>
        {route.page === "runs" && <RunsPage params={route.params} />}
        {route.page === "run" && <RunPage key={route.runId} runId={route.runId} />}
        {route.page === "trigger" && <TriggerPage params={route.params} />}
        {route.page === "event" && <EventPage key={route.eventId} eventId={route.eventId} />}
        {route.page === "waitpoints" && <WaitpointsPage params={route.params} />}
        {route.page === "tasks" && <TasksPage />}
        {route.page === "schedules" && <SchedulesPage />}
        {route.page === "search" && <SearchPage key={route.params.get("q") ?? ""} query={route.params.get("q") ?? ""} />}
        {route.page === "not-found" && <NotFoundPage path={route.path} />}
      </Layout>
    </DurablyProvider>
  );
}
