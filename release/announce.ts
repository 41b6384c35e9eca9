/**
 * Sends a notice from the release CLI (the watch's verdict, a failed release) to the stack's
 * notify targets, and says in one line per notice what became of it. Never throws and never
 * changes what the command did: a notice that could not be delivered is a warning.
 */
import { noticeSummary } from "../lib/notify/format";
import { notice, NoticeFacts } from "../lib/notify/notice";
import { sendNotice } from "../lib/notify/send";
import { deliveryLine } from "../components/noticeDelivery";
import { RouteRead } from "./noticeRoute";
import { Paint } from "./paint";

export interface AnnounceIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** `sent`: delivered to every target; `skipped`: no route, or the kind is not wanted; `failed`: not delivered somewhere. */
export type Announced = "sent" | "skipped" | "failed";

export async function announce(facts: NoticeFacts, route: RouteRead, io: AnnounceIo, paint: Paint): Promise<Announced> {
  if (route === undefined) return "skipped";
  if ("problem" in route) {
    io.err(paint.yellow(`Notice not sent (${facts.kind}): ${route.problem}`));
    return "failed";
  }
  if (!route.events.includes(facts.kind) || route.targets.length === 0) return "skipped";
  const made = notice(facts);
  const deliveries = await sendNotice(made, route.targets);
  const line = deliveries.map(deliveryLine).join("; ");
  if (deliveries.every((d) => d.delivered)) {
    io.out(`Notice sent: ${noticeSummary(made)} (${line})`);
    return "sent";
  }
  io.err(paint.yellow(`Notice not delivered: ${noticeSummary(made)} (${line})`));
  return "failed";
}
