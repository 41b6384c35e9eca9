/**
 * The one place that knows the colors, the Kubernetes object names of an app's services, the
 * retired marker and the Pulumi URNs of the live Services. Components, the release CLI and the
 * policy pack all take them from here. No Pulumi SDK: the release CLI loads this in milliseconds.
 *
 * A service's objects are named from its *qualified name*: the app name for the one-service
 * shorthand (`web-blue`, `web`, exactly as stacks of the one-service model were named), or
 * `<app>-<service>` for an app that declares `services` (`shop-bff-blue`, `shop-bff`). A service
 * named like its app keeps the app's name: a one-service stack `web` that adds a BFF (`services:
 * {web, bff}`) keeps every object of `web` and adds `web-bff-*`.
 */

export const COLORS = ["blue", "green"] as const;
export type Color = (typeof COLORS)[number];

export function otherColor(color: Color): Color {
  return color === "blue" ? "green" : "blue";
}

/** Annotation set on a retired color's Deployments; the policy pack refuses traffic onto them. */
export const RETIRED_ANNOTATION = "bluegreen.dev/retired";

/** Type token of the component that owns one app. */
export const APP_TYPE = "bluegreen:k8s:BlueGreenApp";
/** Type token of a service's live Service component. */
export const LIVE_SERVICE_TYPE = "bluegreen:k8s:LiveService";
/** Type token of the component that announces a switch of the app's traffic. */
export const SWITCH_NOTICE_TYPE = "bluegreen:notify:SwitchNotice";
/** Type token of its dynamic resource: a dynamic provider's types are always `pulumi-nodejs:dynamic/<module>:<type>`. */
export const SWITCH_NOTICE_RESOURCE_TYPE = "pulumi-nodejs:dynamic/notify:SwitchNotice";
/** Type token of the component that announces a release staged on one color. */
export const STAGED_NOTICE_TYPE = "bluegreen:notify:StagedNotice";
/** Type token of its dynamic resource. */
export const STAGED_NOTICE_RESOURCE_TYPE = "pulumi-nodejs:dynamic/notify:StagedNotice";
/** Type token of the app's maintenance page component. */
export const MAINTENANCE_PAGE_TYPE = "bluegreen:k8s:MaintenancePage";

/** The prefix of every object of one service (see the file comment). */
export function qualifiedName(app: string, service: string | undefined): string {
  return service === undefined || service === app ? app : `${app}-${service}`;
}

/** Names of one service's Kubernetes objects, from its qualified name. */
export const objectNames = {
  /** The live Service users hit. */
  liveService: (qualified: string) => qualified,
  /** A color's Deployment and PodDisruptionBudget. */
  deployment: (qualified: string, color: Color) => `${qualified}-${color}`,
  /** A color's preview Service (the smoke Job calls it). */
  previewService: (qualified: string, color: Color) => `${qualified}-${color}-preview`,
};

/**
 * What the live Services select instead of a color while the app is in maintenance: the value of
 * their selector's `color` key, and of the maintenance page's Pods' `color` label. The `color` label
 * is what a live Service switches on: `blue`, `green` or `maintenance`.
 */
export const MAINTENANCE = "maintenance";
/** What a live Service's selector points at: a color, or the maintenance page. */
export type Traffic = Color | typeof MAINTENANCE;

/**
 * Names and labels of the app's maintenance page (one per app, whatever its services): named after
 * the app, its Pods labelled `{app: <app>, color: maintenance}`, which every live Service of the app
 * selects while `maintenance.enabled` is on.
 */
export const maintenanceNames = {
  /** The Deployment serving the page. */
  deployment: (app: string) => `${app}-maintenance`,
  /** The NetworkPolicy admitting the live Services' traffic to its Pods. */
  networkPolicy: (app: string) => `${app}-allow-maintenance`,
  /** The Pulumi resource name of the component. */
  resource: (app: string) => `${app}-maintenance`,
};

/** Labels of the maintenance page's Pods, and the live Services' selector while in maintenance. */
export function maintenanceSelector(app: string): { app: string; color: typeof MAINTENANCE } {
  return { app, color: MAINTENANCE };
}

/**
 * Annotation of a live Service of a stack with a `maintenance` section: the `activeColor` it
 * returns to. While in maintenance the selector does not name it, so the Service records it; the
 * policy pack reads it to tell a promotion from a maintenance toggle.
 */
export const ACTIVE_COLOR_ANNOTATION = "bluegreen.dev/active-color";

/** The `role` label of a live Service (preview Services carry `role: preview`). */
export const LIVE_ROLE = "live";

/** Labels of a service's live Service: the release CLI and the policy pack find live Services by them. */
export function liveServiceLabels(qualified: string): { app: string; role: string } {
  return { app: qualified, role: LIVE_ROLE };
}

/** A kubectl label selector for the live Services of these services (qualified names). */
export function liveServicesSelector(qualified: readonly string[]): string {
  return `role=${LIVE_ROLE},app in (${qualified.join(",")})`;
}

/**
 * The label of the switch records the release CLI writes in the cluster (one ConfigMap per switch
 * or watch verdict, labelled with the app): `status` and `history` read them back.
 */
export const RECORD_LABEL = "bluegreen.dev/record";

/** A switch record's ConfigMap name: sorts by time, unique per write. */
export function switchRecordName(app: string, at: Date, nonce: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.(\d+)Z$/, "$1z").toLowerCase();
  return `${app}-record-${stamp}-${nonce}`;
}

/** Pulumi resource names of one service's components (children are named from these). */
export const resourceNames = {
  colors: (qualified: string) => qualified,
  live: (qualified: string) => `${qualified}-live`,
  smoke: (qualified: string) => `${qualified}-smoke`,
  network: (qualified: string) => `${qualified}-network`,
  /** The app's SwitchNotice (one per app, named after the app). */
  switchNotice: (app: string) => `${app}-switch-notice`,
  /** A color's StagedNotice (one per color, for the whole app). */
  stagedNotice: (app: string, color: Color) => `${app}-${color}-staged-notice`,
};

/**
 * The URN of a service's live Service: BlueGreenApp `<app>` → LiveService `<qualified>-live` →
 * Service `<qualified>-live`. `pulumi up --target` of these is the rollback's fast path.
 */
export function liveServiceUrn(stack: string, project: string, qualified: string): string {
  return `urn:pulumi:${stack}::${project}::${APP_TYPE}$${LIVE_SERVICE_TYPE}$kubernetes:core/v1:Service::${resourceNames.live(qualified)}`;
}

/**
 * The URN of the app's switch notice: BlueGreenApp `<app>` → SwitchNotice `<app>-switch-notice` →
 * its dynamic resource of the same name. A targeted switch targets it with the live Services, so
 * the switch is announced once.
 */
export function switchNoticeUrn(stack: string, project: string, app: string): string {
  return `urn:pulumi:${stack}::${project}::${APP_TYPE}$${SWITCH_NOTICE_TYPE}$${SWITCH_NOTICE_RESOURCE_TYPE}::${resourceNames.switchNotice(app)}`;
}
