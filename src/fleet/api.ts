/**
 * The fleet API's one HTTP listener (#16 item 3): /fleet/v1 over the fleet (src/http/fleet),
 * with every device's own app under /fleet/v1/devices/{name}/.
 *
 *   Fleet ─► fleetControl (control.ts) ─► createFleetApp (src/http/fleet/app.ts) ─► listenHttp
 */
import type { Logger } from 'pino';
import type { ListenAddress } from '../app/service.js';
import type { Profile } from '../config/profile.js';
import { createFleetApp } from '../http/fleet/app.js';
import { addServedHost } from '../http/guard.js';
import { listenHttp } from '../http/server.js';
import { fleetControl } from './control.js';
import type { FleetMembers } from './members.js';

export interface FleetApi {
  /** `host:port` as bound. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * The fleet's own limits and accounts are the template profile's (limits.http, http.accounts):
 * a device's accounts changed at run time through its own /sim/v1 apply to that device's routes
 * only. The fleet listener has no accessible-IP list of its own: it is the tester's control plane.
 */
export async function startFleetApi(fleet: FleetMembers, listen: ListenAddress, profile: Profile, logger: Logger, servedHosts: readonly string[] = []): Promise<FleetApi> {
  const control = fleetControl(fleet, logger);
  // The fleet's own: its scenario queue counts there too.
  const refusals = fleet.refusals;
  const app = createFleetApp({
    control,
    limits: profile.limits.http,
    loginLimits: () => profile.limits.login,
    accounts: () => profile.http.accounts,
    refusals,
    logger,
  });
  for (const host of servedHosts) addServedHost(app, host);
  try {
    const listener = await listenHttp(app, listen.host, listen.port, { limits: profile.limits.http, refusals });
    return {
      address: listener.address,
      close: async () => {
        control.dispose();
        await listener.close();
      },
    };
  } catch (error) {
    control.dispose();
    throw error;
  }
}
