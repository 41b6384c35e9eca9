/**
 * A local HTTP server that speaks enough of the SNS query protocol (form-encoded POST, XML answer)
 * for the real `@aws-sdk/client-sns` to publish to it: it answers `Publish` with a MessageId, or
 * with the scripted errors first, and records the form of every request.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface SnsServer {
  /** The endpoint to give the client: `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The form fields of every request received, in order. */
  readonly requests: Record<string, string>[];
  close(): Promise<void>;
}

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** `failFirst` requests are answered 500 InternalError before Publish succeeds. */
export async function startSnsServer(options: { failFirst?: number } = {}): Promise<SnsServer> {
  const requests: Record<string, string>[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push(form);
      const requestId = randomUUID();
      const xml = (status: number, text: string) => res.writeHead(status, { "Content-Type": "text/xml", "x-amzn-RequestId": requestId }).end(text);
      if (requests.length <= (options.failFirst ?? 0)) {
        xml(500, `<ErrorResponse xmlns="${NS}"><Error><Type>Receiver</Type><Code>InternalError</Code><Message>try again</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
        return;
      }
      if (form.Action !== "Publish") {
        xml(400, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
        return;
      }
      xml(200, `<PublishResponse xmlns="${NS}"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Credentials for the SDK that never leave the machine: set before a client is made. */
export function useLocalAwsCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = "AKIDLOCALTEST";
  process.env.AWS_SECRET_ACCESS_KEY = "local-test-secret";
  // Never ask the instance metadata service (a non-loopback address) for anything.
  process.env.AWS_EC2_METADATA_DISABLED = "true";
}
