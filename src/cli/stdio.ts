/**
 * Output piped into `head` (or any reader that stops early): EPIPE on stdout drops the rest of the
 * output instead of ending with a stack trace, and the command runs to its own exit code (a
 * scenario piped into `head -1` still fails as it would have); on stderr (logs, the banner) it is
 * ignored, so a running emulator whose log reader went away keeps serving. Both CLI entries
 * (main.ts, ctl-main.ts) call it first.
 */
export function tolerateClosedPipes(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
