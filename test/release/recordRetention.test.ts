/** The retention of the switch and watch records, against the kubectl stand-in. */
import { afterEach, describe, expect, it } from "vitest";
import { pruneRecords } from "../../release/recordRetention";
import { writeRecord } from "../../release/switchRecords";
import { fakeCluster, recordConfigMap, RECORDS_START as START } from "./fakeCluster";

const HOUR = 3_600_000;

const names = (records: unknown[]) => (records as ReturnType<typeof recordConfigMap>[]).map((r) => r.metadata.name);

let restore = () => {};
afterEach(() => restore());

/** `switches` switch records of `shop` (in no particular order), 4 watch records and one of another app. */
function install(switches: number, options: { deleteFails?: string } = {}) {
  const order = Array.from({ length: switches }, (_, i) => (i * 7) % switches);
  const fake = fakeCluster({
    deployments: {},
    jobs: {},
    services: {},
    records: [
      ...order.map((hours) => recordConfigMap("shop", "switch", hours)),
      ...[0, 1, 2, 3].map((hours) => recordConfigMap("shop", "watch", hours)),
      recordConfigMap("web", "switch", 0),
    ],
  });
  restore = fake.install(options);
  return fake;
}

describe("pruneRecords", () => {
  it("53 switch records: deletes the 3 oldest in one call, leaving the watch records and other apps' alone", async () => {
    const fake = install(53);
    expect(await pruneRecords("shop-staging", "shop", "switch")).toBeUndefined();
    const oldest = [0, 1, 2].map((hours) => recordConfigMap("shop", "switch", hours).metadata.name);
    expect(oldest).toEqual(["shop-record-20200101t000000000z-00aa", "shop-record-20200101t010000000z-00aa", "shop-record-20200101t020000000z-00aa"]);
    expect(fake.calls()).toEqual([
      ["kubectl", "get", "configmaps", "-n", "shop-staging", "-l", "app=shop,bluegreen.dev/record=switch", "-o", "name", "--request-timeout=5s"],
      ["kubectl", "delete", "configmap", "-n", "shop-staging", "--ignore-not-found", "--wait=false", ...oldest, "--request-timeout=5s"],
    ]);
    const left = names(fake.state().records!);
    expect(left).toHaveLength(53 + 4 + 1 - 3);
    for (const name of oldest) expect(left).not.toContain(name);
    expect(left).toContain(recordConfigMap("shop", "switch", 3).metadata.name);
    expect(left).toContain(recordConfigMap("shop", "watch", 0).metadata.name);
    expect(left).toContain(recordConfigMap("web", "switch", 0).metadata.name);
  });

  it("50 or fewer: lists them and deletes nothing", async () => {
    const fake = install(50);
    expect(await pruneRecords("shop-staging", "shop", "switch")).toBeUndefined();
    expect(fake.calls().map((call) => call[1])).toEqual(["get"]);
    expect(fake.state().records).toHaveLength(50 + 4 + 1);
  });

  it("a backlog: at most 10 deleted per call, the oldest first", async () => {
    const fake = install(75);
    expect(await pruneRecords("shop-staging", "shop", "switch")).toBeUndefined();
    const deleted = fake.calls()[1].slice(7, -1);
    expect(deleted).toEqual(Array.from({ length: 10 }, (_, hours) => recordConfigMap("shop", "switch", hours).metadata.name));
    expect(fake.state().records).toHaveLength(75 - 10 + 4 + 1);
  });

  it("a refused delete is returned in one line with its fix, not thrown; nothing is deleted", async () => {
    const fake = install(53, { deleteFails: 'Error from server (Forbidden): configmaps "shop-record-20200101t000000000z-00aa" is forbidden: User "bob" cannot delete resource "configmaps"' });
    const why = await pruneRecords("shop-staging", "shop", "switch");
    expect(why).toBe(
      'older switch records of shop were not deleted (kubectl delete configmap -n shop-staging --ignore-not-found --wait=false shop-record-20200101t000000000z-00aa shop-record-20200101t010000000z-00aa shop-record-20200101t020000000z-00aa: Error from server (Forbidden): configmaps "shop-record-20200101t000000000z-00aa" is forbidden: User "bob" cannot delete resource "configmaps"); the next write retries (it needs `delete` on ConfigMaps in shop-staging)',
    );
    expect(fake.state().records).toHaveLength(53 + 4 + 1);
  });
});

describe("writeRecord prunes after the write", () => {
  it("a watch record: written first, then only the watch records are pruned", async () => {
    const fake = install(60);
    const why = await writeRecord("shop-staging", "shop", { kind: "watch", at: new Date(START + 100 * HOUR).toISOString(), stack: "shop", color: "green", state: "running", who: "ci" });
    expect(why).toBeUndefined();
    expect(fake.calls().map((call) => call.slice(1, 3))).toEqual([
      ["create", "-f"],
      ["get", "configmaps"],
    ]);
    expect(fake.calls()[1]).toContain("app=shop,bluegreen.dev/record=watch");
    expect(fake.state().records).toHaveLength(60 + 5 + 1);
  });

  it("a record that could not be written: no prune, the write's failure is returned", async () => {
    const fake = fakeCluster({ deployments: {}, jobs: {}, services: {} });
    restore = fake.install();
    process.env.PATH = `/nonexistent`;
    const why = await writeRecord("shop-staging", "shop", { kind: "watch", at: new Date(START).toISOString(), stack: "shop", color: "green", state: "running", who: "ci" });
    expect(why).toEqual({ written: false, reason: "kubectl create -f - -o name: kubectl is not on PATH" });
    expect(fake.calls()).toEqual([]);
  });
});
