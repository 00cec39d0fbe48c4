// The timed loop both RTU master loops run (rtu-master-loop.mjs, modbus-serial-master-loop.mjs):
// `poll` back to back for SECONDS, counting good answers and failures, and the JSON line
// bench/serial.mjs reads, as bench/c/rtu-master.c prints it:
//   {"polls": N, "seconds": S, "pollsPerSecond": X, "errors": E}

/**
 * Runs `poll` (resolves null for a good answer, or why it was not) until `seconds` have passed;
 * a failure is reported on stderr at most once a second, as `${label}: poll failed: ${why}`.
 * Returns the JSON line's object.
 */
export async function pollLoop(label, seconds, poll) {
  let polls = 0;
  let errors = 0;
  let lastErrorReport = -Infinity;
  const start = performance.now();
  let now = start;
  while ((now = performance.now()) - start < seconds * 1000) {
    const why = await poll();
    if (why === null) {
      polls++;
      continue;
    }
    errors++;
    // Say why now and then, not once per poll.
    if (now - lastErrorReport >= 1000) {
      console.error(`${label}: poll failed: ${why}`);
      lastErrorReport = now;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  return { polls, seconds: Number(elapsed.toFixed(3)), pollsPerSecond: Number((elapsed > 0 ? polls / elapsed : 0).toFixed(1)), errors };
}
