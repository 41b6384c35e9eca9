import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules", "dist"],
    // Each file gets its own process: the Pulumi runtime keeps global state.
    pool: "forks",
    // One worker per core of the 2-core CI machine (vitest's default would leave one core idle);
    // the integration tests spend much of their time waiting on PostgreSQL and child processes.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
