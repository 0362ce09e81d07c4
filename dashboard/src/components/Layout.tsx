import type { ReactNode } from "react";
import type { Route } from "../lib/router.ts";
import { HeaderSearch } from "./HeaderSearch.tsx";

/** The top bar (brand, pages, sign-out) around the current page. */
export function Layout({
  route,
  signedIn,
  onSignOut,
  children,
}: {
  route: Route;
  signedIn: boolean;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const current = route.page === "run" || route.page === "event" ? "runs" : route.page;
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/runs">
          <span className="brand-mark" aria-hidden="true">
            d
          </span>
          durably
        </a>
        <nav className="nav">
          <a href="#/runs" className={current === "runs" ? "active" : ""}>
            Runs
          </a>
          <a href="#/trigger" className={current === "trigger" ? "active" : ""}>
            Trigger
          </a>
          <a href="#/waitpoints" className={current === "waitpoints" ? "active" : ""}>
            Waitpoints
          </a>
          <a href="#/tasks" className={current === "tasks" ? "active" : ""}>
            Tasks
          </a>
          <a href="#/schedules" className={current === "schedules" ? "active" : ""}>
            Schedules
          </a>
        </nav>
        <div className="topbar-end">
          <HeaderSearch />
          {signedIn && (
            <button type="button" className="button-link" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main className="main">{children}</main>
    </div>
  );
}
