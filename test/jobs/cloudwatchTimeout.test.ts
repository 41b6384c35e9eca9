/**
 * The watch's DescribeAlarms against a CloudWatch endpoint that accepts connections and never
 * answers: the read fails at its deadline (retries included), so the watch judges a failed poll
 * instead of hanging. The endpoint is a bare TCP server on loopback.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cloudWatchAlarmReader } from "../../jobs/watch/cloudwatch";
import { HangingEndpoint, startHangingEndpoint } from "./hangingEndpoint";

let endpoint: HangingEndpoint;

beforeAll(async () => {
  endpoint = await startHangingEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

it("a DescribeAlarms page that gets no answer fails at its deadline, with a clear message", async () => {
  const client = new CloudWatchClient({ region: "eu-west-1", endpoint: endpoint.url, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" } });
  const started = Date.now();
  await expect(cloudWatchAlarmReader(client, ["web-production-http-5xx"], 500)()).rejects.toThrow(new Error("CloudWatch DescribeAlarms did not answer within 0.5 s"));
  const seconds = (Date.now() - started) / 1000;
  client.destroy();
  expect(seconds).toBeGreaterThanOrEqual(0.5);
  expect(seconds).toBeLessThan(2);
  expect(endpoint.connections()).toBe(1);
});
