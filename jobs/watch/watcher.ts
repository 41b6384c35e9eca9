/**
 * The watch loop: read the alarm states every poll interval until the verdict is final. Clock,
 * sleep and the reader are passed in, so the loop runs the same against CloudWatch and in tests.
 */
import { AlarmReading, Poll, Verdict, WatchSettings, judge } from "./verdict";

export interface WatchDeps {
  /** Reads the current states of the watched alarms; throws when it cannot. */
  readonly read: () => Promise<readonly AlarmReading[]>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called after each poll with the verdict so far (for logging). */
  readonly onPoll?: (poll: Poll, verdict: Verdict) => void;
}

export async function watchAlarms(settings: WatchSettings, pollMs: number, deps: WatchDeps): Promise<Verdict> {
  const polls: Poll[] = [];
  const endMs = settings.startedAt.getTime() + settings.minutes * 60_000;
  for (;;) {
    const at = deps.now();
    let poll: Poll;
    try {
      poll = { at, readings: await deps.read() };
    } catch (error) {
      poll = { at, error: error instanceof Error ? error.message : String(error) };
    }
    polls.push(poll);
    const verdict = judge(settings, polls, deps.now());
    deps.onPoll?.(poll, verdict);
    if (verdict.status !== "watching") return verdict;
    await deps.sleep(Math.max(0, Math.min(pollMs, endMs - deps.now().getTime())));
  }
}
