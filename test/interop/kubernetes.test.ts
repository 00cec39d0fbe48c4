/**
 * #17 item 4: deploy/kubernetes renders and every object it renders is one Kubernetes accepts.
 *
 *   kubectl kustomize DIR ──► objects ──► kubernetes-models .validate()   (types, formats, required, enums)
 *                                     ├─► TypeScript's excess-property check against the same
 *                                     │   models' interfaces (unknown keys: .validate() lets them by)
 *                                     ├─► EMQX: a strict zod schema of the CRD fields used (fixtures/)
 *                                     └─► what matters here: the ordinal env, probes on the health
 *                                         routes, resources from the fleet figures, the headless
 *                                         Service's ports, the profile (validated by the CLI)
 *
 * Then the pod's own command line (args and env as rendered) starts a fleet here, on ports the OS
 * picks, and answers its probes and the pod's DNS names through the Host guard.
 *
 * No cluster runs here: kubectl (v1.27 or later, for kustomize v5) only renders.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { emqxV2beta1Schema } from './fixtures/emqx-v2beta1.js';
import { loadProfile } from '../../src/config/load.js';
import { cleanupProcesses, runCli, startCliWith } from '../helpers/process.js';
import { request } from 'node:http';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = join(ROOT, 'deploy/kubernetes');
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

/** Each kind the manifests use, its kubernetes-models class and the interface its keys are checked against. */
const MODELS: Record<string, { model: new (data: never) => { validate(): void }; module: string; type: string }> = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/StatefulSet': { model: StatefulSet, module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
};

async function kubectl(...args: string[]): Promise<string> {
  try {
    return (await run('kubectl', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not installed: scripts/install-peers.sh installs it (docs/kubernetes.md)');
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

async function render(dir: string): Promise<K8sObject[]> {
  const text = await kubectl('kustomize', dir);
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
}

/**
 * Unknown keys: each object as an object literal typed with its kubernetes-models interface. The
 * type checker gives every nested literal its expected type, and each key that type lacks is
 * named, at any depth (tsc's own excess-property error stops at the first per declaration).
 * Type errors (a string where a number goes) are reported as tsc does.
 */
function unknownKeys(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test/interop/__kubernetes_keys__.ts');
  const lines: string[] = [];
  objects.forEach((o, i) => {
    const m = MODELS[`${o.apiVersion}/${o.kind}`]!;
    lines.push(`import type { ${m.type} as T${i} } from '${m.module}';`, `export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version, true) : getSourceFile(name, version, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file)!;
  const problems: string[] = [];
  const where = (node: ts.Node): string => {
    const path: string[] = [];
    let n: ts.Node | undefined = node;
    for (; n && !ts.isVariableDeclaration(n); n = n.parent) {
      if (ts.isPropertyAssignment(n)) path.unshift(n.name.getText(sf).replace(/^"|"$/g, ''));
      else if (n.parent && ts.isArrayLiteralExpression(n.parent)) path.unshift(String(n.parent.elements.indexOf(n as ts.Expression)));
    }
    if (!n) return `${node.getText(sf).slice(0, 80)}`;
    const o = objects[Number(/^o(\d+)/.exec(n.name.getText(sf))?.[1])]!;
    return `${o.kind}/${o.metadata.name}: ${path.join('.')}`;
  };
  /** The innermost node at a position (a diagnostic's start). */
  const nodeAt = (position: number): ts.Node => {
    let found: ts.Node = sf;
    const walk = (n: ts.Node): void => {
      if (n.getStart(sf) <= position && position < n.getEnd()) {
        found = n;
        ts.forEachChild(n, walk);
      }
    };
    ts.forEachChild(sf, walk);
    return found;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const expected = checker.getContextualType(node);
      const type = expected && checker.getNonNullableType(expected);
      // A map (labels, data, resources) has an index signature: any key goes.
      if (type && !checker.getIndexInfosOfType(type).length && !(type.flags & ts.TypeFlags.Any)) {
        const members = type.isUnion() ? type.types : [type];
        for (const property of node.properties) {
          const name = property.name?.getText(sf).replace(/^"|"$/g, '') ?? '';
          if (!members.some((t) => checker.getPropertyOfType(t, name))) problems.push(`${where(property)}: unknown key (not in ${checker.typeToString(type)})`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // Anything else tsc finds: a wrong type, a missing required field. Its excess-property errors are above already.
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!/may only specify known properties/.test(text)) problems.push(`${where(nodeAt(d.start ?? 0))}: ${text}`);
  }
  return problems;
}

/** Every object: a known kind, valid by its schema, no unknown key; EMQX by the CRD fields it uses. */
function checkSchemas(objects: K8sObject[]): void {
  const standard = objects.filter((o) => o.apiVersion !== 'apps.emqx.io/v2beta1');
  for (const o of standard) {
    const m = MODELS[`${o.apiVersion}/${o.kind}`];
    expect(m, `${o.apiVersion} ${o.kind} has no model in this test`).toBeDefined();
    expect(() => new m!.model(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
  }
  expect(unknownKeys(standard)).toEqual([]);
  for (const o of objects.filter((x) => x.apiVersion === 'apps.emqx.io/v2beta1')) {
    const parsed = emqxV2beta1Schema.safeParse(o);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), `EMQX/${o.metadata.name}`).toEqual([]);
  }
}

const byKind = <T>(objects: K8sObject[], kind: string, name?: string): T[] => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as unknown as T[];
const one = <T>(objects: K8sObject[], kind: string, name: string): T => {
  const found = byKind<T>(objects, kind, name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
};
const fleetContainer = (set: IStatefulSet): IContainer => set.spec!.template.spec!.containers.find((c) => c.name === 'fleet')!;
const envValue = (c: IContainer, name: string) => c.env?.find((e) => e.name === name);

/** MiB of a quantity such as 256Mi or 1Gi. */
function mebibytes(q: string | number): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(String(q));
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}
/** Cores of a quantity such as 100m or 1. */
function cores(q: string | number): number {
  const m = /^(\d+)(m?)$/.exec(String(q));
  if (!m) throw new Error(`unexpected cpu quantity ${q}`);
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** A kustomization outside the tree: a directory plus components, as a user's own overlay would. */
async function withComponents(dir: string, components: string[]): Promise<string> {
  const where = await mkdtemp(join(tmpdir(), 'iothinx-k8s-'));
  temps.push(where);
  const rel = (p: string) => relative(where, join(DEPLOY, p));
  await writeFile(join(where, 'kustomization.yaml'), `resources: [${rel(dir)}]\ncomponents: [${components.map(rel).join(', ')}]\n`);
  return where;
}
const temps: string[] = [];

const rendered: Record<string, K8sObject[]> = {};
const TREES = ['base', 'overlays/small', 'overlays/emqx', 'base+components/pod-name-ordinal'];

beforeAll(async () => {
  const version = JSON.parse(await kubectl('version', '--client', '-o', 'json')) as { clientVersion: { major: string; minor: string } };
  const minor = Number.parseInt(version.clientVersion.minor, 10);
  if (Number(version.clientVersion.major) === 1 && minor < 27) {
    throw new Error(`kubectl 1.${minor} bundles a kustomize older than v5, which cannot render components: install kubectl 1.27 or later`);
  }
  for (const tree of TREES) {
    const [dir, ...components] = tree.split('+');
    rendered[tree] = await render(components.length ? await withComponents(dir!, components) : join(DEPLOY, dir!));
  }
}, 60_000);

afterAll(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
  await cleanupProcesses();
});

describe('deploy/kubernetes renders into objects Kubernetes accepts', () => {
  it.each(TREES)('%s: every object validates against its schema, unknown keys refused', (tree) => {
    const objects = rendered[tree]!;
    expect(objects.length).toBeGreaterThan(0);
    checkSchemas(objects);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('iothinx-sim');
  });

  it('the unknown-key check catches what .validate() lets by (a misspelt probe, an extra field deep down)', () => {
    const set = structuredClone(byKind<K8sObject>(rendered.base!, 'StatefulSet')[0]!);
    const container = (set as unknown as IStatefulSet).spec!.template.spec!.containers[0] as unknown as Record<string, unknown>;
    container.readinessprobe = container.readinessProbe;
    (container.securityContext as Record<string, unknown>).readOnlyRootFilesytem = true;
    expect(() => new StatefulSet(set as never).validate()).not.toThrow();
    const problems = unknownKeys([set]);
    expect(problems).toEqual([
      'StatefulSet/iothinx-sim: spec.template.spec.containers.0.readinessprobe: unknown key (not in IContainer)',
      'StatefulSet/iothinx-sim: spec.template.spec.containers.0.securityContext.readOnlyRootFilesytem: unknown key (not in ISecurityContext)',
    ]);
    // A wrong type is reported by tsc, with the path to it.
    (container.ports as Record<string, unknown>[])[0]!.containerPort = '502';
    expect(unknownKeys([set]).at(-1)).toMatch(/^StatefulSet\/iothinx-sim: spec\.template\.spec\.containers\.0\.ports\.0\.containerPort.*Type 'string' is not assignable to type 'number'/);
    const emqx = structuredClone(one<Record<string, Record<string, unknown>>>(rendered['overlays/emqx']!, 'EMQX', 'emqx'));
    emqx.spec!.coreTemplates = {};
    expect(emqxV2beta1Schema.safeParse(emqx).success).toBe(false);
  });
});

describe('the StatefulSet', () => {
  it.each(TREES)('%s: each pod runs a fleet from its ordinal, with probes on the health routes, resources and a locked-down container', (tree) => {
    const objects = rendered[tree]!;
    const set = one<IStatefulSet>(objects, 'StatefulSet', 'iothinx-sim');
    const pod = set.spec!.template.spec!;
    const c = fleetContainer(set);
    // The ordinal through the downward API: the pod-index label (1.28+), or the pod's name.
    const ordinal = envValue(c, 'IOTHINX_SIM_FLEET_ORDINAL')?.valueFrom?.fieldRef?.fieldPath;
    expect(ordinal).toBe(tree.includes('pod-name-ordinal') ? 'metadata.name' : "metadata.labels['apps.kubernetes.io/pod-index']");
    expect(c.args?.[0]).toBe('fleet');
    expect(c.args).toContain('--count=$(FLEET_COUNT)');
    expect(c.args).toContain('--http=0.0.0.0:80');
    // Every $(VAR) in args and env names a variable defined before it (Kubernetes leaves others as typed).
    const defined = new Set<string>();
    for (const e of c.env ?? []) {
      for (const [, name] of (e.value ?? '').matchAll(/\$\((\w+)\)/g)) expect(defined, `${e.name} uses $(${name})`).toContain(name);
      defined.add(e.name);
    }
    for (const arg of c.args ?? []) for (const [, name] of arg.matchAll(/\$\((\w+)\)/g)) expect(defined, `${arg}`).toContain(name);

    // Probes: readiness and start on /fleet/v1/health, liveness on /fleet/v1/health/live, all on the http port 80 (the device's, as the image's IOTHINX_SIM_HTTP).
    expect(c.ports?.find((p) => p.name === 'http')?.containerPort).toBe(80);
    for (const probe of [c.startupProbe, c.readinessProbe]) expect(probe?.httpGet).toMatchObject({ path: '/fleet/v1/health', port: 'http' });
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/fleet/v1/health/live', port: 'http' });

    // Resources from the fleet figures: 100 MiB + 1.5 MiB a device, 0.5 core a 1,000 devices.
    const count = Number(envValue(c, 'FLEET_COUNT')?.value);
    expect(count).toBeGreaterThanOrEqual(1);
    if (envValue(c, 'FLEET_GATEWAY')?.value !== 'off') expect(count, 'the gateway gives unit ids 1..247').toBeLessThanOrEqual(247);
    const { requests, limits } = c.resources!;
    expect(mebibytes(requests!.memory!)).toBeGreaterThanOrEqual(100 + 1.5 * count);
    expect(mebibytes(limits!.memory!)).toBeGreaterThanOrEqual(2 * mebibytes(requests!.memory!));
    expect(cores(requests!.cpu!)).toBeGreaterThanOrEqual((0.5 * count) / 1000);
    expect(cores(limits!.cpu!)).toBeGreaterThanOrEqual(cores(requests!.cpu!));

    // Non-root, read-only root, no capabilities; port 502 through the namespaced sysctl.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.securityContext?.sysctls).toContainEqual({ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // What it writes (the ready file) is on an emptyDir; the profile is the generated ConfigMap.
    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes[mounts['/run/iothinx-sim']!]?.emptyDir).toBeDefined();
    expect(c.args).toContain('--ready-file=/run/iothinx-sim/ready.json');
    const profileMap = volumes[mounts['/etc/iothinx-sim']!]?.configMap?.name;
    expect(profileMap).toMatch(/^iothinx-sim-profile-/);
    expect(one<IConfigMap>(objects, 'ConfigMap', profileMap!).data?.['profile.yaml']).toBeDefined();
    expect(c.args).toContain('--profile=/etc/iothinx-sim/profile.yaml');
  });

  it('points each overlay at a broker it brings: mosquitto, or the Service the EMQX operator makes', () => {
    const small = rendered['overlays/small']!;
    expect(envValue(fleetContainer(one<IStatefulSet>(small, 'StatefulSet', 'iothinx-sim')), 'MQTT_URL')?.value).toBe('mqtt://mosquitto:1883');
    expect(one<IService>(small, 'Service', 'mosquitto').spec?.ports?.[0]).toMatchObject({ port: 1883 });
    one<K8sObject>(small, 'Deployment', 'mosquitto');
    const large = rendered['overlays/emqx']!;
    expect(envValue(fleetContainer(one<IStatefulSet>(large, 'StatefulSet', 'iothinx-sim')), 'MQTT_URL')?.value).toBe('mqtt://emqx-listeners:1883');
    // The operator names it {name}-listeners (apis/apps/v2beta1/names.go).
    const emqx = one<{ spec: { listenersServiceTemplate?: { enabled?: boolean } } }>(large, 'EMQX', 'emqx');
    expect(emqx.spec.listenersServiceTemplate?.enabled).not.toBe(false);
    expect(byKind(large, 'Deployment', 'mosquitto')).toHaveLength(0);
  });
});

describe('the headless Service', () => {
  it.each(TREES)('%s: no cluster IP, the pods by their labels, the real ports', (tree) => {
    const objects = rendered[tree]!;
    const service = one<IService>(objects, 'Service', 'iothinx-sim');
    const set = one<IStatefulSet>(objects, 'StatefulSet', 'iothinx-sim');
    expect(set.spec?.serviceName).toBe('iothinx-sim');
    expect(service.spec?.clusterIP).toBe('None');
    expect(service.spec?.selector).toEqual(set.spec?.selector.matchLabels);
    for (const [key, value] of Object.entries(service.spec!.selector!)) expect(set.spec?.template.metadata?.labels?.[key]).toBe(value);
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.protocol])).toEqual([
      ['modbus', 502, 'TCP'],
      ['http', 80, 'TCP'],
      ['snmp', 30000, 'UDP'],
    ]);
    const container = fleetContainer(set);
    for (const port of service.spec!.ports!) {
      const target = container.ports?.find((p) => p.name === port.targetPort);
      expect(target, `${port.name} → ${String(port.targetPort)}`).toMatchObject({ containerPort: port.port, protocol: port.protocol });
    }
  });
});

describe('the profile ConfigMap', () => {
  it('is a valid profile whose fleet listens on every address, with the gateway on 502 and the Service names allowed', async () => {
    const objects = rendered.base!;
    const map = byKind<IConfigMap>(objects, 'ConfigMap').find((m) => m.metadata?.name?.startsWith('iothinx-sim-profile-'))!;
    const dir = await mkdtemp(join(tmpdir(), 'iothinx-k8s-'));
    temps.push(dir);
    const file = join(dir, 'profile.yaml');
    await writeFile(file, map.data!['profile.yaml']!);
    const validated = await runCli(['validate', file]);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    const profile = await loadProfile(file);
    expect(profile.fleet?.addressing).toMatchObject({ mode: 'ports', host: '0.0.0.0' });
    expect(profile.fleet?.gateway).toMatchObject({ host: '0.0.0.0', port: 502 });
    const ns = 'iothinx-sim';
    expect(profile.limits.http.allowedHosts).toEqual(expect.arrayContaining(['iothinx-sim', `iothinx-sim.${ns}`, `iothinx-sim.${ns}.svc`, `iothinx-sim.${ns}.svc.cluster.local`]));
    // The same file as in the tree: the generator took it whole.
    expect(map.data!['profile.yaml']).toBe(await readFile(join(DEPLOY, 'base/profile.yaml'), 'utf8'));
  });
});

describe("the pod's command line, run here", () => {
  it('starts pod 1’s fleet (devices 101..), answers the probes, and lets the pod’s DNS names through the Host guard', async () => {
    const objects = rendered.base!;
    const set = one<IStatefulSet>(objects, 'StatefulSet', 'iothinx-sim');
    const c = fleetContainer(set);
    const map = byKind<IConfigMap>(objects, 'ConfigMap').find((m) => m.metadata?.name?.startsWith('iothinx-sim-profile-'))!;
    const dir = await mkdtemp(join(tmpdir(), 'iothinx-k8s-'));
    temps.push(dir);
    await writeFile(join(dir, 'profile.yaml'), map.data!['profile.yaml']!);
    // What the kubelet would give pod 1: the downward API's values, then $(VAR) expanded in order.
    const downward: Record<string, string> = { "metadata.labels['apps.kubernetes.io/pod-index']": '1', 'metadata.name': 'iothinx-sim-1', 'metadata.namespace': 'iothinx-sim' };
    const env: Record<string, string> = {};
    const expand = (text: string) => text.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? '');
    for (const e of c.env ?? []) env[e.name] = e.valueFrom?.fieldRef ? downward[e.valueFrom.fieldRef.fieldPath]! : expand(e.value ?? '');
    const args = (c.args ?? []).map(expand).map((a) => a.replace('/etc/iothinx-sim/', `${dir}/`)).filter((a) => !a.startsWith('--ready-file='));
    // Here: no broker, and ports the OS picks (later flags win over the pod's).
    const started = await startCliWith([...args, '--mqtt=off', '--addressing=ports:0', '--http=127.0.0.1:0', '--gateway=127.0.0.1:0', '--quiet'], dir, env);
    const ready = JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as { http: string; devices: { index: number; name: string }[] };
    expect(ready.devices).toHaveLength(Number(env.FLEET_COUNT));
    expect(ready.devices[0]).toMatchObject({ index: 101, name: 'ioThinx_4510-101' });
    // fetch() sends its own Host; node:http sends the one given, as a client using the DNS name would.
    const [address, port] = [ready.http.slice(0, ready.http.lastIndexOf(':')), Number(ready.http.slice(ready.http.lastIndexOf(':') + 1))];
    const get = (path: string, host = ready.http) =>
      new Promise<number>((resolve, reject) => {
        request({ host: address, port, path, headers: { host } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    expect(await get('/fleet/v1/health')).toBe(200);
    expect(await get('/fleet/v1/health/live')).toBe(200);
    for (const host of ['iothinx-sim-1.iothinx-sim', 'iothinx-sim-1.iothinx-sim.iothinx-sim.svc.cluster.local', 'iothinx-sim.iothinx-sim.svc']) {
      expect(await get('/fleet/v1/devices', `${host}`), host).toBe(200);
    }
    // Another pod's name is that pod's to answer.
    expect(await get('/fleet/v1/devices', 'iothinx-sim-2.iothinx-sim')).toBe(421);
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  });
});
