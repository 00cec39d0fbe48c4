/**
 * mbpoll (Debian) as an independent Modbus client/master for interop tests: one poll per call,
 * PDU (0-based) addresses, values parsed from its "[address]: value" lines.
 */
import { expect } from 'vitest';
import { runTool, type ToolRun } from './cli-device.js';

export const MBPOLL = '/usr/bin/mbpoll';

export interface Mbpoll {
  run(type: string, address: number, options?: string[], values?: number[]): Promise<ToolRun>;
  read(type: string, address: number, count?: number): Promise<number[]>;
  write(type: string, address: number, values: number[]): Promise<void>;
}

/** `connection` is everything before the point options: mode, line or port, timeout. */
export function mbpoll(connection: () => string[], target: () => string): Mbpoll {
  const run = (type: string, address: number, options: string[] = [], values: number[] = []) => {
    const args = [...connection(), '-0', '-1', '-t', type, '-r', String(address), ...options, target()];
    // "--" lets negative values through as values, not options.
    return runTool(MBPOLL, values.length > 0 ? [...args, '--', ...values.map(String)] : args);
  };
  return {
    run,
    read: async (type, address, count = 1) => {
      const result = await run(type, address, ['-c', String(count)]);
      expect(result.code, result.stderr).toBe(0);
      return [...result.stdout.matchAll(/^\[(\d+)\]:\s+(\S+)$/gm)].map((m) => Number(m[2]));
    },
    write: async (type, address, values) => {
      const result = await run(type, address, [], values);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Written ${values.length} references`);
    },
  };
}
