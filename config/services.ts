/**
 * The app's services. A stack either declares `services` (a BFF and a web front end, released
 * together: `colors.<color>.images.<service>`) or is the one-service shorthand (no `services`,
 * `colors.<color>.image`), which is one service named after `app`. Either way the program sees a
 * list of ServiceConfig, each with its own view of the two colors.
 *
 * The top-level `port`, `servicePort`, probe paths, `resources`, `env`, `secretEnv` and
 * `smoke.checks` are every service's defaults; a service's own `env`/`secretEnv` entries are added
 * on top of the top-level ones. A color's `replicas` scale every service of it; a service's own
 * `replicas`/`previewReplicas` set its count while the color runs, but never revive a color
 * scaled to 0 (retired, or not released).
 */
import { z } from "zod";
import type { ContainerResources } from "./resources";
import { COLORS, Color, objectNames, qualifiedName } from "../domain/names";
import { smokeCheckSchema, SmokeCheck } from "./gates";

const expect = (message: string) => ({ error: () => message });

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Same limit as `app`: every object name derived from a qualified name stays within its limit. */
const QUALIFIED_MAX = 30;

/** The fields of one entry of `services`, from the top-level schemas of the same keys. */
export function serviceSchemaParts<P extends z.ZodType, H extends z.ZodType, R extends z.ZodType, E extends z.ZodType, S extends z.ZodType>(parts: {
  port: P;
  httpPath: H;
  replicas: (example: number) => z.ZodType<number>;
  resources: R;
  env: E;
  secretEnv: S;
}) {
  return {
    port: parts.port.optional(),
    servicePort: parts.port.optional(),
    healthPath: parts.httpPath.optional(),
    readinessPath: parts.httpPath.optional(),
    replicas: parts.replicas(2).optional(),
    previewReplicas: parts.replicas(1).optional(),
    resources: parts.resources.optional(),
    env: parts.env.optional(),
    secretEnv: parts.secretEnv.optional(),
    smoke: z
      .strictObject(
        { checks: z.array(smokeCheckSchema, expect("must be a list of `{path, status, bodyContains}` checks")).min(1, expect("must list at least one check; remove the key to use the top-level `smoke.checks`")) },
        expect("must be an object with `checks`"),
      )
      .optional(),
    /** Its own ALB target group: the service gets its own 5xx-rate and p99 release alarms. */
    alarms: z
      .strictObject(
        { targetGroup: z.string(expect("must be the ALB `TargetGroup` dimension, such as `targetgroup/shop-bff/73e2d6bc24d8a067`")).min(1, expect("must be the ALB `TargetGroup` dimension, such as `targetgroup/shop-bff/73e2d6bc24d8a067`")) },
        expect("must be an object with `targetGroup`"),
      )
      .optional(),
    /** Other services of the app that call this one (their Pods may reach its Pods). */
    callers: z.array(z.string(expect("must name a service of the app")), expect("must be a list of service names, such as `[web]`")).optional(),
  };
}

/** One color as the stack declares it. */
export interface DeclaredColor {
  readonly image?: string;
  readonly images?: Readonly<Record<string, string>>;
  readonly replicas: number;
  readonly previewReplicas?: number;
  readonly retired?: boolean;
}

/** One service's view of a color: its image, and its replicas while live and while idle. */
export interface ServiceColor {
  readonly image?: string;
  readonly replicas: number;
  readonly previewReplicas?: number;
  readonly retired?: boolean;
}

interface DeclaredService {
  readonly port?: number;
  readonly servicePort?: number;
  readonly healthPath?: string;
  readonly readinessPath?: string;
  readonly replicas?: number;
  readonly previewReplicas?: number;
  readonly resources?: ContainerResources;
  readonly env?: Readonly<Record<string, string>>;
  readonly secretEnv?: Readonly<Record<string, string>>;
  readonly smoke?: { readonly checks: readonly SmokeCheck[] };
  readonly alarms?: { readonly targetGroup: string };
  readonly callers?: readonly string[];
}

/** What `services` and the top-level keys it defaults from look like after parsing. */
export interface ServicesInput {
  readonly app: string;
  readonly colors: Readonly<Record<Color, DeclaredColor>>;
  readonly services?: Readonly<Record<string, DeclaredService>>;
  readonly port: number;
  readonly servicePort: number;
  readonly healthPath: string;
  readonly readinessPath: string;
  readonly resources: ContainerResources;
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, string>>;
  readonly smoke: { readonly checks: readonly SmokeCheck[] };
}

/** One service of the app, every default filled in. */
export interface ServiceConfig {
  /** Its key in `services`, or undefined for the one-service shorthand. */
  readonly service?: string;
  /** How people call it: the `services` key, or the app name for the shorthand. */
  readonly displayName: string;
  /** Prefix of its objects' names (domain/names.ts). */
  readonly qualifiedName: string;
  readonly port: number;
  readonly servicePort: number;
  readonly healthPath: string;
  readonly readinessPath: string;
  readonly resources: ContainerResources;
  readonly env: Readonly<Record<string, string>>;
  /** Environment variable name -> secret config key. */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** Its smoke checks (empty: the default, `healthPath` answers 200, is filled in by the loader). */
  readonly smokeChecks: readonly SmokeCheck[];
  /** Qualified names of the services whose Pods may call it. */
  readonly callers: readonly string[];
  /** Its own ALB target group, for its own release alarms. */
  readonly alarmTargetGroup?: string;
  readonly colors: Readonly<Record<Color, ServiceColor>>;
}

/** Whether the stack declares `services` (otherwise it is the one-service shorthand). */
export function hasServices(input: Pick<ServicesInput, "services">): boolean {
  return input.services !== undefined;
}

/** The image of every service in a color's release (empty when the color has none). */
export function colorImages(input: Pick<ServicesInput, "app" | "colors" | "services">, color: Color): Record<string, string> {
  const declared = input.colors[color];
  if (!hasServices(input)) return declared.image ? { [input.app]: declared.image } : {};
  return { ...(declared.images ?? {}) };
}

/**
 * What identifies a color's release: its image for the shorthand (so one-service stacks keep their
 * Job names), else `service=image` pairs in name order. Undefined when the color has no image.
 */
export function releaseIdentity(input: Pick<ServicesInput, "app" | "colors" | "services">, color: Color): string | undefined {
  if (!hasServices(input)) return input.colors[color].image;
  const images = colorImages(input, color);
  const names = Object.keys(images).sort();
  return names.length === 0 ? undefined : names.map((name) => `${name}=${images[name]}`).join(",");
}

/** A color's image per service (display name), from the services' own views; empty when it has no release. */
export function releaseImages(services: readonly ServiceConfig[], color: Color): Record<string, string> {
  return Object.fromEntries(services.filter((s) => s.colors[color].image !== undefined).map((s) => [s.displayName, s.colors[color].image!]));
}

/** releaseIdentity from the services' own views (what the program has once the config is loaded). */
export function releaseIdentityOf(services: readonly ServiceConfig[], color: Color): string | undefined {
  if (services.length === 1 && services[0].service === undefined) return services[0].colors[color].image;
  const images = releaseImages(services, color);
  const names = Object.keys(images).sort();
  return names.length === 0 ? undefined : names.map((name) => `${name}=${images[name]}`).join(",");
}

function serviceColor(declared: DeclaredColor, service: DeclaredService, image: string | undefined): ServiceColor {
  const preview = declared.previewReplicas ?? declared.replicas;
  return {
    image,
    replicas: declared.replicas === 0 ? 0 : (service.replicas ?? declared.replicas),
    previewReplicas: preview === 0 ? 0 : (service.previewReplicas ?? service.replicas ?? preview),
    ...(declared.retired !== undefined ? { retired: declared.retired } : {}),
  };
}

/** The app's services with every default filled in, in declaration order. */
export function appServices(input: ServicesInput): ServiceConfig[] {
  if (!input.services) {
    return [
      {
        displayName: input.app,
        qualifiedName: input.app,
        port: input.port,
        servicePort: input.servicePort,
        healthPath: input.healthPath,
        readinessPath: input.readinessPath,
        resources: input.resources,
        env: input.env,
        secretEnv: input.secretEnv,
        smokeChecks: input.smoke.checks,
        callers: [],
        colors: input.colors,
      },
    ];
  }
  return Object.entries(input.services).map(([name, declared]) => ({
    service: name,
    displayName: name,
    qualifiedName: qualifiedName(input.app, name),
    port: declared.port ?? input.port,
    servicePort: declared.servicePort ?? input.servicePort,
    healthPath: declared.healthPath ?? input.healthPath,
    readinessPath: declared.readinessPath ?? input.readinessPath,
    resources: declared.resources ?? input.resources,
    env: { ...input.env, ...declared.env },
    secretEnv: { ...input.secretEnv, ...declared.secretEnv },
    smokeChecks: declared.smoke?.checks ?? input.smoke.checks,
    callers: (declared.callers ?? []).map((caller) => qualifiedName(input.app, caller)),
    alarmTargetGroup: declared.alarms?.targetGroup,
    colors: Object.fromEntries(COLORS.map((color) => [color, serviceColor(input.colors[color], declared, input.colors[color].images?.[name])])) as Record<Color, ServiceColor>,
  }));
}

const stageCommand = (input: Pick<ServicesInput, "services">, color: Color) =>
  `npx bluegreen stage ${color} ${Object.keys(input.services ?? {}).map((name) => `${name}=<image>`).join(" ")} -s <stack>`;

/** Problems with `services` and the colors' images; empty when the shape is consistent. */
export function servicesProblems(input: ServicesInput): string[] {
  const problems: string[] = [];
  const services = input.services;
  if (!services) {
    for (const color of COLORS) {
      if (input.colors[color].images !== undefined) {
        problems.push(
          `\`colors.${color}.images\` is set but the stack declares no \`services\`: a one-service app gives its image in \`colors.${color}.image\`; declare \`services\` to release several`,
        );
      }
    }
    return problems;
  }
  const names = Object.keys(services);
  if (names.length === 0) {
    problems.push("`services` is empty: declare at least one service, such as `{web: {port: 8080}}`, or remove the key for a one-service app");
    return problems;
  }
  for (const name of names) {
    const qualified = qualifiedName(input.app, name);
    if (!DNS_LABEL.test(name)) {
      problems.push(`\`services.${name}\` is not a DNS label: name services with lowercase letters, digits and \`-\`, starting with a letter, such as \`bff\``);
    } else if (qualified.length > QUALIFIED_MAX) {
      problems.push(
        `\`services.${name}\` makes object names start with \`${qualified}\` (${qualified.length} characters): \`app\` plus \`-\` plus the service name must be at most ${QUALIFIED_MAX} characters; shorten one of them`,
      );
    }
    const callers: readonly string[] = services[name].callers ?? [];
    for (const caller of callers) {
      if (caller === name) problems.push(`\`services.${name}.callers\` names \`${name}\` itself: a service's own Pods need no rule; remove it`);
      else if (!(caller in services)) problems.push(`\`services.${name}.callers\` names \`${caller}\`, which is not a service of the app; use one of ${names.map((n) => `\`${n}\``).join(", ")}`);
    }
  }
  // Two services must never share an object: compare every name each one derives.
  const owners = new Map<string, string>();
  for (const name of names) {
    const qualified = qualifiedName(input.app, name);
    for (const object of [objectNames.liveService(qualified), ...COLORS.flatMap((c) => [objectNames.deployment(qualified, c), objectNames.previewService(qualified, c)])]) {
      const owner = owners.get(object);
      if (owner !== undefined && owner !== name) {
        problems.push(`\`services.${name}\` and \`services.${owner}\` would both name an object \`${object}\`: rename one of them`);
      }
      owners.set(object, name);
    }
  }
  for (const color of COLORS) {
    const declared = input.colors[color];
    if (declared.image !== undefined) {
      problems.push(
        `\`colors.${color}.image\` is set but the stack declares \`services\`: give each service's image in \`colors.${color}.images.<service>\` (with \`${stageCommand(input, color)}\`) and remove \`colors.${color}.image\``,
      );
    }
    const images = declared.images ?? {};
    for (const name of Object.keys(images)) {
      if (!(name in services)) problems.push(`\`colors.${color}.images.${name}\` names no service of the app; use one of ${names.map((n) => `\`${n}\``).join(", ")}, or remove it`);
    }
    const given = names.filter((name) => images[name] !== undefined);
    if (given.length > 0 && given.length < names.length) {
      for (const name of names.filter((n) => images[n] === undefined)) {
        problems.push(
          `\`colors.${color}.images.${name}\` is not set but ${color} releases ${given.map((n) => `\`${n}\``).join(", ")}: a color is a release of every service; stage them together with \`${stageCommand(input, color)}\``,
        );
      }
    }
  }
  return problems;
}
