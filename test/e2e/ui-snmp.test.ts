/**
 * The SNMP panel in Debian's chromium: it shows where the agent listens and the commands to point
 * a manager at it, with this device's address filled in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel } from '../helpers/browser.js';
import { cleanupProcesses } from '../helpers/process.js';
import { startUiDevice } from '../helpers/ui-device.js';

let browser: Browser;
let page: Page;
let snmp: string;

beforeAll(async () => {
  const { base, ready } = await startUiDevice();
  snmp = ready.snmp!;
  ({ browser, page } = await openUi(base));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('SNMP panel', () => {
  it('shows the agent address and a walk command for it', async () => {
    await showPanel(page, 'snmp-panel');
    const panel = page.locator('#snmp-panel');
    await expect.poll(() => panel.locator('#snmp-status').textContent()).toContain(snmp);
    const commands = await panel.locator('#snmp-commands').textContent();
    expect(commands).toContain(`snmpwalk -v2c -c public -M +./mibs -m MOXA-IOTHINX4510-MIB ${snmp} .1.3.6.1.4.1.8691.10.4510`);
    expect(commands).toContain('snmpget -v3 -l authPriv -u admin -a SHA -A <authKey> -x AES -X <privKey>');
    expect(await panel.locator('#snmp-status').textContent()).toContain('admin (authPriv, read-write)');
  });
});
