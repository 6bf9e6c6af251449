import { describe, expect, it } from "vitest";
import { startDeadline } from "../src/engine/deadline.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("startDeadline: one timer per timeout length", () => {
  it("aborts what is still running when its time is up, in order, and nothing that was released", async () => {
    const reason = Symbol("timeout");
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const releases = controllers.map((controller) => startDeadline(40, controller, reason));
    releases[0]?.(); // finished first: at the head
    releases[3]?.(); // finished out of order: in the middle
    await sleep(80);
    expect(controllers.map((controller) => controller.signal.aborted)).toEqual([false, true, true, false, true, true]);
    expect(controllers[1]?.signal.reason).toBe(reason);
    for (const release of releases) release(); // releasing after the abort is harmless
  });

  it("keeps later joiners waiting their own full time", async () => {
    const early = new AbortController();
    startDeadline(60, early, "t");
    await sleep(30);
    const late = new AbortController();
    const releaseLate = startDeadline(60, late, "t");
    await sleep(45); // early is past its deadline, late is not
    expect([early.signal.aborted, late.signal.aborted]).toEqual([true, false]);
    await sleep(30);
    expect(late.signal.aborted).toBe(true);
    releaseLate();
  });

  it("a release from inside an abort listener (as a failing request does) does not disturb the walk", async () => {
    const controllers = Array.from({ length: 4 }, () => new AbortController());
    controllers.forEach((controller, index) => {
      const release = startDeadline(20, controller, "t");
      controller.signal.addEventListener("abort", release);
      if (index === 1)
        controller.signal.addEventListener("abort", () => startDeadline(20, new AbortController(), "t")());
    });
    await sleep(50);
    expect(controllers.every((controller) => controller.signal.aborted)).toBe(true);
    const after = new AbortController();
    startDeadline(20, after, "t");
    await sleep(40);
    expect(after.signal.aborted).toBe(true);
  });

  it("after thousands of released entries (head trimmed, array compacted) the next deadline still fires on time", async () => {
    for (let index = 0; index < 10_000; index++) startDeadline(30, new AbortController(), "t")();
    const releasedLate = Array.from({ length: 200 }, () => new AbortController());
    const releases = releasedLate.map((controller) => startDeadline(30, controller, "t"));
    const live = new AbortController();
    startDeadline(30, live, "t");
    for (const release of releases.reverse()) release(); // out of order: the head is trimmed only at the end
    await sleep(70);
    expect(live.signal.aborted).toBe(true);
    expect(releasedLate.some((controller) => controller.signal.aborted)).toBe(false);
  });
});
