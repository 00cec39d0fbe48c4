/**
 * The variables through which the test fixture (src/testing/child.ts) and the emulator it spawns
 * (src/cli/parent.ts) agree that the child ends with its parent: named once, for both sides.
 */

/** A pipe's file descriptor whose other end only the parent holds. */
export const PARENT_FD_ENV = 'IOTHINX_SIM_PARENT_FD';
/** The fixture's run dir, removed as the child exits. */
export const REMOVE_ON_EXIT_ENV = 'IOTHINX_SIM_REMOVE_ON_EXIT';
/** Set (to anything) in the test process: the fixture keeps its temp dirs. */
export const KEEP_TEMP_ENV = 'IOTHINX_KEEP_TEMP';
