import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";

/** docs/: where the screenshots of the dashboard's pages are committed. */
export const DOCS_DIR = fileURLToPath(new URL("../../docs", import.meta.url));

/** A new tab on the dashboard, signed in with the secret key; errors the page throws go to `pageErrors`. */
export async function openSignedIn(context: BrowserContext, url: string, secret: string, pageErrors: string[], hash = ""): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (error) => pageErrors.push(error.message));
  await tab.goto(url + hash);
  await tab.getByTestId("login-key").fill(secret);
  await tab.getByTestId("login-submit").click();
  return tab;
}
