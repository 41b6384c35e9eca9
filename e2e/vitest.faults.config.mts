import { configDefaults, defineConfig } from "vitest/config";
import e2e from "./vitest.config.mts";

// The fault suite (`npm run test:faults`): the end-to-end settings, this one file only. It kills
// switches, stops the API and damages the state on purpose, so it runs on its own, not in test:e2e.
export default defineConfig({ test: { ...e2e.test, include: ["e2e/faults.e2e.test.ts"], exclude: configDefaults.exclude } });
