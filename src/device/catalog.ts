/**
 * The 45MR module catalog: what each model carries and which modes its channels allow.
 * Sources: reference/iothinx-4510.md §2 (DS, DMN, HACK), modbus-tables.md (OMNI for counter and
 * pulse channel counts on the 2606). Every model also exists as a -T (wide temperature) variant
 * with the same register map (M-EZ p=107), so `findModel` accepts both spellings.
 */
export const CHANNEL_TYPES = ['di', 'do', 'relay', 'ai', 'ao', 'rtd', 'tc', 'sp'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface ChannelGroup {
  readonly type: ChannelType;
  readonly count: number;
  /** DI: channels 0..n-1 can run as counters (1600: "only the first 4", DS). */
  readonly counterChannels?: number;
  /** DO: channels 0..n-1 can run in pulse mode (Modbus tables list 4 pulse fields on the 2600). */
  readonly pulseChannels?: number;
  /** AI/AO/RTD/TC: the mode codes this model accepts, the first being the default. */
  readonly modes?: readonly number[];
}

export interface ModuleModel {
  readonly model: string;
  readonly description: string;
  /** Enum id in the web UI's moduleInfo (HACK); null where the model has none. */
  readonly typeId: number | null;
  readonly groups: readonly ChannelGroup[];
}

/** aiMode codes, M-EZ p=118. */
export const AI_MODES = {
  0: 'disable',
  1: '0-10V',
  2: '0-20mA',
  3: '4-20mA-burnout',
  4: '4-20mA',
  5: '+-10V',
} as const satisfies Record<number, string>;

/** aoMode codes, M-EZ p=119 (4 = ±10 V appears only in OMNI's older list). */
export const AO_MODES = { 0: 'disable', 1: '0-10V', 2: '0-20mA', 3: '4-20mA', 4: '+-10V' } as const satisfies Record<
  number,
  string
>;

/** rtdMode codes, M-EZ p=119. */
export const RTD_MODES = {
  0: 'PT50', 1: 'PT100', 2: 'PT200', 3: 'PT500', 4: 'PT1000',
  14: '310ohm', 15: '620ohm', 16: '1250ohm', 17: '2200ohm',
  20: 'JPT100', 21: 'JPT200', 22: 'JPT500', 23: 'JPT1000',
  30: 'NI100', 31: 'NI200', 32: 'NI500', 33: 'NI1000', 34: 'NI120',
  50: 'disable',
} as const satisfies Record<number, string>;

/** tcType codes, M-38 page-82 and M-EZ p=119 (50 = disable). */
export const TC_MODES = {
  0: 'J', 1: 'K', 2: 'T', 3: 'E', 4: 'R', 5: 'S', 6: 'B', 7: 'N',
  14: '+-78.126mV', 15: '+-39.062mV', 16: '+-19.532mV',
  50: 'disable',
} as const satisfies Record<number, string>;

export const DI_MODES = { 0: 'di', 1: 'counter' } as const;
export const DO_MODES = { 0: 'do', 1: 'pulse' } as const;

const ALL_RTD = Object.keys(RTD_MODES).map(Number);
const ALL_TC = Object.keys(TC_MODES).map(Number);

const MODELS: readonly ModuleModel[] = [
  { model: '45MR-1600', typeId: 0, description: '16 DI, 24 VDC, PNP', groups: [{ type: 'di', count: 16, counterChannels: 4 }] },
  { model: '45MR-1601', typeId: 1, description: '16 DI, 24 VDC, NPN', groups: [{ type: 'di', count: 16, counterChannels: 4 }] },
  { model: '45MR-2600', typeId: 2, description: '16 DO, sink', groups: [{ type: 'do', count: 16, pulseChannels: 4 }] },
  { model: '45MR-2601', typeId: 3, description: '16 DO, source', groups: [{ type: 'do', count: 16, pulseChannels: 4 }] },
  {
    model: '45MR-2606',
    typeId: 4,
    description: '8 DI + 8 DO',
    groups: [
      { type: 'di', count: 8, counterChannels: 2 },
      { type: 'do', count: 8, pulseChannels: 2 },
    ],
  },
  { model: '45MR-2404', typeId: 5, description: '4 relays, form A', groups: [{ type: 'relay', count: 4 }] },
  { model: '45MR-3800', typeId: 6, description: '8 AI, current', groups: [{ type: 'ai', count: 8, modes: [4, 3, 2, 0] }] },
  { model: '45MR-3810', typeId: 7, description: '8 AI, voltage', groups: [{ type: 'ai', count: 8, modes: [1, 5, 0] }] },
  { model: '45MR-4420', typeId: 8, description: '4 AO', groups: [{ type: 'ao', count: 4, modes: [1, 2, 3, 4, 0] }] },
  { model: '45MR-6600', typeId: 9, description: '6 RTD', groups: [{ type: 'rtd', count: 6, modes: [1, ...ALL_RTD.filter((m) => m !== 1)] }] },
  { model: '45MR-6810', typeId: 10, description: '8 TC', groups: [{ type: 'tc', count: 8, modes: [1, ...ALL_TC.filter((m) => m !== 1)] }] },
  { model: '45MR-7210', typeId: null, description: 'system and field power module', groups: [{ type: 'sp', count: 1 }] },
  { model: '45MR-7820', typeId: null, description: 'field power distribution, no data', groups: [] },
];

const BY_MODEL = new Map(MODELS.map((m) => [m.model, m]));

export const MODEL_NAMES: readonly string[] = MODELS.flatMap((m) => [m.model, `${m.model}-T`]);

/** Looks a model up by its exact name, with or without the -T suffix. */
export function findModel(model: string): ModuleModel | undefined {
  return BY_MODEL.get(model.endsWith('-T') ? model.slice(0, -2) : model);
}

export function allModels(): readonly ModuleModel[] {
  return MODELS;
}

/** Default channel name prefixes; the real device names channels DI-00, DO-00 (M-EZ p=93). */
export const CHANNEL_PREFIX: Record<ChannelType, string> = {
  di: 'DI',
  do: 'DO',
  relay: 'RLY', // ASSUMPTION: the relay prefix was not seen; documented in docs/device-model.md.
  ai: 'AI',
  ao: 'AO',
  rtd: 'RTD',
  tc: 'TC',
  sp: 'SP',
};

/** Mode tables by channel type, used to turn names such as "4-20mA" or "PT100" into codes. */
export const MODE_TABLES: Partial<Record<ChannelType, Readonly<Record<number, string>>>> = {
  di: DI_MODES,
  do: DO_MODES,
  ai: AI_MODES,
  ao: AO_MODES,
  rtd: RTD_MODES,
  tc: TC_MODES,
};

/** Resolves a mode given as a code or a name (case-insensitive); undefined if unknown. */
export function modeCode(type: ChannelType, mode: number | string): number | undefined {
  const table = MODE_TABLES[type];
  if (!table) return undefined;
  if (typeof mode === 'number') return mode in table ? mode : undefined;
  const wanted = mode.toLowerCase();
  for (const [code, name] of Object.entries(table)) if (name.toLowerCase() === wanted) return Number(code);
  return undefined;
}

export function modeName(type: ChannelType, code: number): string {
  return MODE_TABLES[type]?.[code] ?? String(code);
}
