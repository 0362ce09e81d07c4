import { EmptyState } from "../components/EmptyState.tsx";

export function NotFoundPage({ path }: { path: string }) {
  return (
    <EmptyState title="Page not found">
      <p>
        Nothing lives at <code>{path}</code>. <a href="#/runs">Back to runs</a>
      </p>
    </EmptyState>
  );
}
