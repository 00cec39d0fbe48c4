// The profile's own JSON Schema, as the server documents GET /sim/v1/config in
// /sim/v1/openapi.json (rendered from the zod schema that validates a PUT): the Configure panel
// takes its choices (enum values) and number bounds from here, so a list in the form cannot
// drift from what the server accepts. Fetched once per page; the document does not change while
// the emulator runs.

import { api } from './util.js';

let root = null;

export async function loadProfileSchema() {
  if (root) return root;
  const doc = await api('GET', '/openapi.json');
  root = doc.paths['/sim/v1/config'].get.responses['200'].content['application/json'].schema;
  return root;
}

/** The branch of a union that holds a value (not the `null` of a nullable field). */
function valueBranch(node) {
  const branches = node?.anyOf ?? node?.oneOf;
  if (!branches) return node;
  const real = branches.filter((b) => b.type !== 'null');
  return real.length === 1 ? real[0] : node;
}

/** The schema of the field at a dotted path of the profile (`mqtt.topics.0.trigger`), or null. */
export function schemaAt(path) {
  let node = root;
  for (const key of path.split('.')) {
    node = valueBranch(node);
    if (!node) return null;
    node = /^\d+$/.test(key) && node.items ? node.items : node.properties?.[key];
  }
  return node ?? null;
}

/** The values an enum or a union of constants allows (`qos`: 0, 1, 2), or []. */
export function choicesAt(path) {
  const node = schemaAt(path);
  if (!node) return [];
  if (node.enum) return node.enum;
  const branches = node.anyOf ?? node.oneOf ?? [];
  return branches.flatMap((b) => (b.enum ?? ('const' in b ? [b.const] : [])));
}

/** { min, max } of a number field (either may be undefined). */
export function boundsAt(path) {
  const node = schemaAt(path);
  const branches = node?.anyOf ?? node?.oneOf ?? (node ? [node] : []);
  const number = branches.find((b) => b.type === 'integer' || b.type === 'number');
  return { min: number?.minimum, max: number?.maximum };
}

/** "1–3600" (or "≥ 0") for a label; '' when the schema gives no bound. */
export function rangeText(path) {
  const { min, max } = boundsAt(path);
  const f = (n) => n.toLocaleString('en');
  if (min !== undefined && max !== undefined) return `${f(min)}–${f(max)}`;
  if (min !== undefined) return `≥ ${f(min)}`;
  return max !== undefined ? `≤ ${f(max)}` : '';
}
