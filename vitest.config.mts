import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules", "dist"],
    // Each file gets its own process: the Pulumi runtime keeps global state.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
