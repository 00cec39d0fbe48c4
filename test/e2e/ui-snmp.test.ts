/**
 * The SNMP panel in Debian's chromium: it shows where the agent listens and the commands to point
 * a manager at it, with this device's address filled in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { showPanel } from '../helpers/browser.js';
import { cleanupProcesses, startCli } from '../helpers/process.js';

let browser: Browser;
let page: Page;
let snmp: string;

beforeAll(async () => {
  const started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--clock', 'manual', '--quiet']);
  snmp = started.ready.snmp!;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage();
  await page.goto(`http://${started.ready.http}/`);
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
