import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the dashboard into dashboard/dist, which the engine serves at `/`. In `vite dev` the
 * API is proxied to a running engine (DURABLY_API_URL, default http://127.0.0.1:3030).
 */
export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^durably\/react$/, replacement: here("../react/index.ts") }],
    dedupe: ["react", "react-dom", "@tanstack/react-query"],
  },
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
  },
  server: {
    proxy: {
      "/api": { target: process.env.DURABLY_API_URL ?? "http://127.0.0.1:3030", changeOrigin: true },
    },
  },
});
