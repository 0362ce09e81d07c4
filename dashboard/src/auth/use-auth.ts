import { useCallback, useState } from "react";
import { MutationCache, QueryCache, type QueryClient } from "@tanstack/react-query";
import { createDurablyQueryClient, DurablyApiError } from "durably/react";
import { tokenStore } from "../lib/token-store.ts";

export interface Auth {
  queryClient: QueryClient;
  token: string | undefined;
  /** The engine answered 401: show the login form. */
  needsLogin: boolean;
  /** A key was tried and refused. */
  rejected: boolean;
  signIn: (key: string) => void;
  signOut: () => void;
}

const isUnauthorized = (error: unknown) => error instanceof DurablyApiError && error.status === 401;

/**
 * Any 401 from any query or action flips the app to the login form. In dev mode the engine
 * never answers 401, so no key is ever asked for.
 */
export function useAuth(): Auth {
  const [token, setToken] = useState(tokenStore.get);
  const [needsLogin, setNeedsLogin] = useState(false);
  // A key kept from an earlier visit that now gets a 401 was refused too.
  const [rejected, setRejected] = useState(() => tokenStore.get() !== undefined);
  const [queryClient] = useState(() => {
    const onError = (error: unknown) => {
      if (isUnauthorized(error)) setNeedsLogin(true);
    };
    return createDurablyQueryClient({
      queryCache: new QueryCache({ onError, onSuccess: () => setRejected(false) }),
      mutationCache: new MutationCache({ onError }),
    });
  });

  const signIn = useCallback(
    (key: string) => {
      tokenStore.set(key);
      setToken(key);
      // Until an answer comes back, assume the key may be refused.
      setRejected(true);
      setNeedsLogin(false);
      // Drop the 401 answers so every page refetches with the key.
      queryClient.removeQueries();
    },
    [queryClient],
  );

  const signOut = useCallback(() => {
    tokenStore.clear();
    setToken(undefined);
    setRejected(false);
    queryClient.removeQueries();
  }, [queryClient]);

  return { queryClient, token, needsLogin, rejected: rejected && needsLogin, signIn, signOut };
}
