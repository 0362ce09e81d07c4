import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";

/**
 * Where the page tests save their screenshots: test-output/, so that a test run leaves the clone
 * as it found it; with UPDATE_DOCS_SCREENSHOTS=1, docs/, where the committed ones live.
 */
export const SCREENSHOTS_DIR = fileURLToPath(new URL(process.env.UPDATE_DOCS_SCREENSHOTS === "1" ? "../../docs" : "../../test-output/screenshots", import.meta.url));

/** A new tab on the dashboard, signed in with the secret key; errors the page throws go to `pageErrors`. */
export async function openSignedIn(context: BrowserContext, url: string, secret: string, pageErrors: string[], hash = ""): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (error) => pageErrors.push(error.message));
  await tab.goto(url + hash);
  await tab.getByTestId("login-key").fill(secret);
  await tab.getByTestId("login-submit").click();
  return tab;
}
