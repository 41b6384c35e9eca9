/** The `watch` options, for the release CLI's help text. */
export const WATCH_HELP = [
  "watch options (default: the stack's `promotionWatch` output):",
  "  --minutes <n> --alarms <a,b> --poll-seconds <n> --settle-minutes <n> --region <r>",
  "  --endpoint <url>   CloudWatch endpoint (a test server)",
  "  --no-rollback      only report; do not roll back on ALARM",
  "  --commit           after a rollback, commit and push the stack file (CI)",
  "  --ignore-poll-failures  keep watching when CloudWatch cannot be read",
];
