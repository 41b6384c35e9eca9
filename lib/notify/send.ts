/**
 * Sends a notice to its targets, all at once: a Slack-compatible incoming webhook (the Slack
 * message, POSTed as JSON) and an SNS topic (the JSON form as the message, the summary as the
 * Subject). It never throws: each target's outcome is returned, and a notice that could not be
 * delivered never fails what announced it.
 *
 * Each target gets two tries, each bounded by `timeoutMs`, a pause between them, and a deadline over
 * both (2 × 5 s + 1 s by default), so a receiver that accepts the connection and never answers
 * costs at most ~11 s. A webhook is tried again on a network error, a timeout, a 5xx or a 429,
 * never on another 4xx (the message or the URL is wrong; sending it again changes nothing).
 *
 * The webhook URL is a secret (whoever has it may post to the channel): no reason, error or log
 * line names it; a target is named `webhook` or `sns:<topic ARN>`.
 */
import type { PublishCommandInput, SNSClient } from "@aws-sdk/client-sns";
import type { Notice } from "./notice";
import { noticeJson, slackMessage, snsSubject } from "./format";

export type NoticeTarget =
  /** A Slack-compatible incoming webhook (`https://hooks.slack.com/services/…`). */
  | { readonly kind: "webhook"; readonly url: string }
  /**
   * An SNS topic, published to with the credentials of the environment (AWS_PROFILE, AWS_* keys, an
   * instance role). `endpoint` replaces the service's (tests, VPC endpoints).
   */
  | { readonly kind: "sns"; readonly topicArn: string; readonly region: string; readonly endpoint?: string };

export interface SendOptions {
  /** How long one try may take: connecting, sending, the answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Pause before the second try. @default 1000 */
  readonly retryPauseMs?: number;
}

/** What became of one target. */
export interface Delivery {
  /** `webhook` or `sns:<topic ARN>`: never the webhook URL. */
  readonly target: string;
  readonly delivered: boolean;
  /** Tries made (0 when the target was refused before any). */
  readonly attempts: number;
  /** Why it was not delivered. */
  readonly reason?: string;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_RETRY_PAUSE_MS = 1000;
/** Tries per target, the first included. */
export const MAX_ATTEMPTS = 2;

/** The name a target is reported by. */
export function targetName(target: NoticeTarget): string {
  return target.kind === "webhook" ? "webhook" : `sns:${target.topicArn}`;
}

/** Sends `notice` to every target at once; resolves with one Delivery per target, in order. Never rejects. */
export async function sendNotice(notice: Notice, targets: readonly NoticeTarget[], opts: SendOptions = {}): Promise<Delivery[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pauseMs = opts.retryPauseMs ?? DEFAULT_RETRY_PAUSE_MS;
  return Promise.all(
    targets.map(async (target): Promise<Delivery> => {
      const name = targetName(target);
      try {
        const send = target.kind === "webhook" ? sendToWebhook(notice, target.url, timeoutMs, pauseMs) : publishToSns(notice, target, timeoutMs, pauseMs);
        // A bound over both tries, whatever happens inside (credential lookups, a stalled stream).
        const result = await withDeadline(send, MAX_ATTEMPTS * timeoutMs + pauseMs + 500);
        return { target: name, ...result };
      } catch (error) {
        return { target: name, delivered: false, attempts: 0, reason: `${name}: ${errorText(error)}` };
      }
    }),
  );
}

type Outcome = Omit<Delivery, "target">;

async function sendToWebhook(notice: Notice, url: string, timeoutMs: number, pauseMs: number): Promise<Outcome> {
  if (!isHttpUrl(url)) return { delivered: false, attempts: 0, reason: "webhook: the URL is not an http(s) URL; set the webhook URL secret to the incoming webhook's URL" };
  const body = JSON.stringify(slackMessage(notice));
  let reason = "";
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(pauseMs);
    const answer = await postOnce(url, body, timeoutMs);
    if (answer.ok) return { delivered: true, attempts: attempt };
    reason = `webhook: ${answer.problem}`;
    if (!answer.retry) return { delivered: false, attempts: attempt, reason };
  }
  return { delivered: false, attempts: MAX_ATTEMPTS, reason: `${reason} (after ${MAX_ATTEMPTS} attempts)` };
}

type PostAnswer = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly problem: string };

async function postOnce(url: string, body: string, timeoutMs: number): Promise<PostAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body, signal, redirect: "manual" });
    // Read the answer within the same timeout: Slack says why it refused (`invalid_payload`, `no_service`).
    const text = (await response.text()).trim();
    if (response.ok) return { ok: true };
    const said = text === "" || /[<{]/.test(text[0]) ? "" : `: ${text.split(/\r?\n/, 1)[0].slice(0, 120)}`;
    const retry = response.status >= 500 || response.status === 429;
    const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
    return { ok: false, retry, problem: `answered HTTP ${response.status}${said}${redirect}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, retry: true, problem: `no answer within ${timeoutMs} ms` };
    return { ok: false, retry: true, problem: networkErrorText(error) };
  }
}

async function publishToSns(notice: Notice, target: Extract<NoticeTarget, { kind: "sns" }>, timeoutMs: number, pauseMs: number): Promise<Outcome> {
  const name = targetName(target);
  // Loaded on first use: the release CLI and a stack without SNS never pay for the SDK.
  const { SNSClient: Client, PublishCommand } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
  const { NodeHttpHandler } = require("@smithy/node-http-handler") as typeof import("@smithy/node-http-handler");
  const client: SNSClient = new Client({
    region: target.region,
    endpoint: target.endpoint,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true }),
  });
  const input: PublishCommandInput = { TopicArn: target.topicArn, Message: JSON.stringify(noticeJson(notice)), Subject: snsSubject(notice) };
  try {
    const answer = await client.send(new PublishCommand(input), { abortSignal: AbortSignal.timeout(MAX_ATTEMPTS * timeoutMs + pauseMs) });
    return { delivered: true, attempts: answer.$metadata.attempts ?? 1 };
  } catch (error) {
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
    return { delivered: false, attempts, reason: `${name}: ${awsErrorText(error, timeoutMs)}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}` };
  } finally {
    client.destroy();
  }
}

function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/** Why a request failed, without the URL: fetch's errors carry the cause's code (`ECONNREFUSED`, `ENOTFOUND`). */
function networkErrorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  const code = cause?.code ?? cause?.name;
  const known: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host lookup failed",
    UND_ERR_SOCKET: "connection closed",
    UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  };
  return code === undefined ? "request failed" : `${known[code] ?? "request failed"} (${code})`;
}

/** An AWS SDK error in one line: `NotFound: Topic does not exist`, or what stopped the request. */
function awsErrorText(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; code?: string; Code?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  const message = (e?.message ?? String(error)).split(/\r?\n/, 1)[0].replace(/^@smithy\/node-http-handler - /, "");
  return `${e?.Code ?? e?.code ?? e?.name ?? "Error"}: ${message}`.slice(0, 300);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split(/\r?\n/, 1)[0] : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection after `ms`; the timer never keeps the process alive. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
