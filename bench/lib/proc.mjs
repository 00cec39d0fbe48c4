// CPU time of a process from /proc (Linux), for the benchmarks that print what a child cost.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck;
/** Clock ticks a second of /proc/PID/stat's times (USER_HZ, 100 on Linux); 100 where getconf fails. Asked once, on first use. */
function ticksPerSecond() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** User + system CPU seconds `pid` has used so far, or null once it is gone (or where /proc is not there). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are fields 14 and 15 (proc(5)), the 12th and 13th after the ")" that ends the command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}
