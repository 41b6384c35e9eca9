/**
 * The stack program: reads the stack config once, declares the app, exports what the release CLI
 * and people read. Promotion and rollback are config changes to `activeColor`.
 */
import { BlueGreenApp } from "./components/blueGreenApp";
import { appOutputs } from "./components/appOutputs";
import { loadConfig } from "./config/load";
import { lintMigrationsAtPreview } from "./components/migrationLint";

const config = loadConfig();
const app = new BlueGreenApp(config.app, config);
const outputs = appOutputs(app, config);

export const {
  activeColor,
  idleColor,
  namespace,
  services,
  liveImage,
  idleImage,
  liveServiceName,
  liveServiceUrn,
  liveServiceUrns,
  previewServiceNames,
  deploymentNames,
  migrationJobs,
  rollbackHint,
  alarmTopicArn,
  alarmNames,
  skippedAlarms,
  dashboardName,
  smokeJobNames,
  promotionWatch,
  backupBucketName,
  backupPrefix,
  preMigrationBackupJobs,
  networkPolicies,
} = outputs;
/** `migrate lint` on the SQL files during this preview/up, when `migrations.lintAtPreview` is on. */
export const migrationLint = config.migrations?.lintDirectory ? lintMigrationsAtPreview(config.migrations.lintDirectory, process.cwd()) : "off";
