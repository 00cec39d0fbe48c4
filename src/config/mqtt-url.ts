/**
 * A broker the MQTT client may use: the embedded one, or an mqtt(s)/ws(s) URL (profile, --mqtt,
 * the fixture). A module of its own, with no imports: the CLI's argument parsing (src/cli/args.ts)
 * uses it, and `iothinx-sim ctl`'s small bundle (build/bundle.mjs) must not bring in the zod
 * schemas of src/config/sections.ts through it (#19).
 */
export const MQTT_URL = /^(embedded|(mqtts?|wss?):\/\/[^\s]+)$/;
