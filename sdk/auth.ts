import { getBackend, type PublicTokenOptions } from "./backend.ts";

/** Access tokens for browsers: read-only, short-lived, scoped to run ids or tags. */
export const auth = {
  async createPublicToken(options: PublicTokenOptions): Promise<string> {
    return (await getBackend()).createPublicToken(options);
  },
};
