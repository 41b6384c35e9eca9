/**
 * A loopback stand-in for CloudWatch's DescribeAlarms (AWS JSON 1.0), for the watch's end-to-end
 * test: there is no AWS here. The test sets the alarm states; the watch reads them over HTTP with
 * the real AWS SDK client.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export interface FakeAlarm {
  AlarmName: string;
  StateValue: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  StateReason?: string;
  /** Seconds since the epoch. */
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  composite?: boolean;
}

export class FakeCloudWatch {
  alarms: FakeAlarm[] = [];
  requests = 0;
  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<FakeCloudWatch> {
    let fake: FakeCloudWatch | undefined;
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        fake!.requests++;
        const wanted = new Set<string>(JSON.parse(body || "{}").AlarmNames ?? []);
        const found = fake!.alarms.filter((a) => wanted.has(a.AlarmName));
        const strip = ({ composite: _, ...a }: FakeAlarm) => a;
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ MetricAlarms: found.filter((a) => !a.composite).map(strip), CompositeAlarms: found.filter((a) => a.composite).map(strip) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake = new FakeCloudWatch(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
