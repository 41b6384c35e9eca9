/**
 * Calls policies the way the Pulumi engine does, with a report collector: resource policies with
 * ResourceValidationArgs, stack policies with every resource as a PolicyResource. `fromProgram`
 * turns the resources of a real program run (under mocks) into those.
 */
import type {
  Policies,
  PolicyProviderResource,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policies } from "../../policy/policies";
import type { ProgramRun } from "../helpers/program";

export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
  readonly protect?: boolean;
  /** Input property -> the resources it came from, by name or by `type::name`. */
  readonly propertyDependencies?: Record<string, string[]>;
}

export interface Violation {
  readonly policy: string;
  readonly message: string;
  /** Pulumi resource name the violation is reported on, when it names one. */
  readonly resource?: string;
}

const urnOf = (stack: string, r: { type: string; name: string }) => `urn:pulumi:${stack}::bluegreen::${r.type}::${r.name}`;
const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const unusedMethods = {
  isType: () => false,
  asType: () => undefined,
  getConfig: <T>() => ({}) as T,
  notApplicable: (reason?: string): never => {
    throw new Error(`not applicable: ${reason}`);
  },
};

function opts(protect: boolean) {
  return { protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } };
}

/**
 * Violations of one policy (or all of them) over a set of resources in `stack`. `policies` replaces
 * the pack's (to give a policy that reads the cluster another source); `provider` is the Kubernetes
 * provider the resources' validation sees.
 */
export async function check(
  resources: readonly FakeResource[],
  options: { stack?: string; stackTags?: Record<string, string>; only?: string; policies?: Policies; provider?: PolicyProviderResource } = {},
): Promise<Violation[]> {
  const stack = options.stack ?? "staging";
  const stackTags = new Map(Object.entries(options.stackTags ?? {}));
  const pack = options.policies ?? policies;
  const selected: Policies = options.only ? pack.filter((p) => p.name === options.only) : pack;
  if (selected.length === 0) throw new Error(`no policy named ${options.only}`);

  const byName = new Map<string, PolicyResource>();
  const policyResources: PolicyResource[] = resources.map((r) => {
    const resource: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: urnOf(stack, r),
      props: r.props,
      opts: opts(r.protect ?? false),
      dependencies: [],
      propertyDependencies: {},
      ...unusedMethods,
    };
    byName.set(`${r.type}::${r.name}`, resource);
    if (!byName.has(r.name)) byName.set(r.name, resource);
    return resource;
  });
  resources.forEach((r, i) => {
    for (const [prop, names] of Object.entries(r.propertyDependencies ?? {})) {
      const deps = names.map((n) => {
        const dependency = byName.get(n);
        if (!dependency) throw new Error(`${r.name}.${prop} depends on unknown resource ${n}`);
        return dependency;
      });
      policyResources[i].propertyDependencies[prop] = deps;
      policyResources[i].dependencies.push(...deps);
    }
  });

  const violations: Violation[] = [];
  for (const policy of selected) {
    if ("validateStack" in policy) {
      const report: ReportViolation = (message, urn) =>
        violations.push({ policy: policy.name, message, ...(urn ? { resource: nameOfUrn(urn) } : {}) });
      const args: StackValidationArgs = { resources: policyResources, stackTags, ...unusedMethods };
      await (policy as StackValidationPolicy).validateStack(args, report);
      continue;
    }
    const validations = (policy as ResourceValidationPolicy).validateResource;
    for (const resource of policyResources) {
      const report: ReportViolation = (message) => violations.push({ policy: policy.name, message, resource: resource.name });
      const args: ResourceValidationArgs = {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: resource.props,
        opts: resource.opts,
        ...(options.provider ? { provider: options.provider } : {}),
        stackTags,
        ...unusedMethods,
      };
      for (const validate of Array.isArray(validations) ? validations : validations ? [validations] : []) {
        await validate(args, report);
      }
    }
  }
  return violations;
}

/** The registered resources of a program run, as the policies would see them. */
export function fromProgram(run: ProgramRun): FakeResource[] {
  const keyByUrn = new Map(run.resources.map((r) => [r.urn, `${r.type}::${r.name}`]));
  return run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    props: r.inputs ?? {},
    protect: r.protect,
    propertyDependencies: Object.fromEntries(
      Object.entries(r.propertyDependencies ?? {}).map(([prop, urns]) => [prop, urns.map((u) => keyByUrn.get(u)).filter((k): k is string => k !== undefined)]),
    ),
  }));
}
