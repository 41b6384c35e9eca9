/**
 * The CloudWatch dashboard body: one graph per alarm with its threshold drawn in. It is built from
 * the alarm plan alone, which does not depend on the active color, so a promotion never changes it.
 */
import { AlarmSpec } from "./alarmSpecs";

type MetricLine = (string | Record<string, unknown>)[];

function metricLines(alarm: AlarmSpec): MetricLine[] {
  const lines: MetricLine[] = alarm.metrics.map((m, i) => [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flat(),
    // Inputs of an expression are drawn only through the expression.
    { id: `e${i + 1}`, stat: m.stat, period: alarm.period, ...(alarm.expression ? { visible: false } : {}) },
  ]);
  if (alarm.expression) {
    lines.push([{ expression: alarm.expression, label: alarm.expressionLabel ?? alarm.key, id: "rate" }]);
  }
  return lines;
}

/** Dashboard JSON: a text header, then the alarms' graphs two per row. */
export function dashboardBody(title: string, alarms: readonly AlarmSpec[], region: string | undefined): string {
  const width = 12;
  const height = 6;
  const widgets: Record<string, unknown>[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: { markdown: `# ${title}\nEach graph is one alarm; the red line is its threshold. See README, Alarms.` },
    },
  ];
  alarms.forEach((alarm, i) => {
    widgets.push({
      type: "metric",
      x: (i % 2) * width,
      y: 2 + Math.floor(i / 2) * height,
      width,
      height,
      properties: {
        title: alarm.name,
        region,
        view: "timeSeries",
        stacked: false,
        metrics: metricLines(alarm),
        annotations: { horizontal: [{ label: "alarm threshold", value: alarm.threshold, color: "#d62728" }] },
      },
    });
  });
  return JSON.stringify({ widgets });
}
