// Finding CMSIS-DAP probes on USB and opening one.
//
// Two kinds are looked for: CMSIS-DAP v2 probes (a vendor-specific interface with bulk endpoints,
// through node-usb) and CMSIS-DAP v1 probes (HID, through node-hid). Many probes offer both for
// the same serial number; the bulk interface is faster and preferred. Both libraries are optional:
// when one cannot be loaded, the other still works, and "no probe found" says what was missing.
import { HidTransport, listHidProbes } from './hid.js';
import { BulkTransport, scanBulkProbes } from './usb-bulk.js';
import {
  describeError,
  transportError,
  type DapTransport,
  type ProbeInfo,
  type ProbeScan,
  type TransportOptions,
} from './types.js';

/** One way of finding and opening probes. The real ones use node-usb and node-hid; tests pass fakes. */
export interface ProbeBackend {
  readonly kind: ProbeInfo['kind'];
  scan(): Promise<ProbeScan>;
  open(probe: ProbeInfo, options: TransportOptions): Promise<DapTransport>;
}

export const bulkBackend: ProbeBackend = {
  kind: 'bulk',
  scan: () => scanBulkProbes(),
  open: (probe, options) => BulkTransport.open(probe, options),
};

export const hidBackend: ProbeBackend = {
  kind: 'hid',
  scan: async () => ({ probes: await listHidProbes(), problems: [] }),
  open: (probe, options) => {
    if (!probe.path) return Promise.reject(transportError('EINVAL', 'a HID probe needs its path to be opened'));
    return HidTransport.open(probe.path, options);
  },
};

export const defaultBackends: readonly ProbeBackend[] = [bulkBackend, hidBackend];

export interface EnumerateOptions extends TransportOptions {
  /** Where probes come from (default: `defaultBackends`). */
  backends?: readonly ProbeBackend[];
  /** Only this kind of interface (default: bulk when the probe has it, else HID). */
  kind?: ProbeInfo['kind'];
}

interface Found {
  probes: ProbeInfo[];
  problems: string[];
  /** The backend that found each probe, to open it with. */
  owners: Map<ProbeInfo, ProbeBackend>;
  /** How many backends failed outright (library missing, listing failed). */
  failed: number;
}

const KIND_ORDER: Record<ProbeInfo['kind'], number> = { bulk: 0, hid: 1 };

async function scanAll(backends: readonly ProbeBackend[]): Promise<Found> {
  const results = await Promise.allSettled(backends.map((backend) => backend.scan()));
  const found: Found = { probes: [], problems: [], owners: new Map(), failed: 0 };
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      found.failed++;
      found.problems.push(describeError(result.reason));
      return;
    }
    found.problems.push(...result.value.problems);
    for (const probe of result.value.probes) {
      found.probes.push(probe);
      found.owners.set(probe, backends[index]);
    }
  });
  found.probes.sort(
    (a, b) =>
      a.serial.localeCompare(b.serial) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.path ?? '').localeCompare(b.path ?? ''),
  );
  return found;
}

/**
 * Every CMSIS-DAP probe interface connected: one entry per interface, so a probe offering both
 * bulk and HID appears twice with the same serial (bulk first). Rejects with EPROBE only when no
 * backend could look at all (neither node-usb nor node-hid loads).
 */
export async function listProbes(options: EnumerateOptions = {}): Promise<ProbeInfo[]> {
  const backends = options.backends ?? defaultBackends;
  const found = await scanAll(backends);
  if (backends.length > 0 && found.failed === backends.length) {
    throw transportError('EPROBE', `cannot look for CMSIS-DAP probes: ${found.problems.join('; ')}`);
  }
  return found.probes;
}

/** Interfaces of one physical probe: same serial (or, without one, the same interface). */
function identity(probe: ProbeInfo): string {
  return probe.serial !== ''
    ? `serial ${probe.serial}`
    : `${probe.kind} ${probe.vendorId}:${probe.productId} ${probe.path ?? ''}`;
}

function groupProbes(probes: readonly ProbeInfo[]): ProbeInfo[][] {
  const groups = new Map<string, ProbeInfo[]>();
  for (const probe of probes) {
    const key = identity(probe);
    const group = groups.get(key);
    if (group) group.push(probe);
    else groups.set(key, [probe]);
  }
  return [...groups.values()];
}

function describeGroup(group: readonly ProbeInfo[]): string {
  const first = group[0];
  const kinds = [...new Set(group.map((p) => p.kind))].join('+');
  const name = first.serial !== '' ? first.serial : `(no serial, ${first.path ?? 'unknown path'})`;
  return `${name} (${first.product || 'unnamed'}, ${kinds})`;
}

function problemsNote(problems: readonly string[]): string {
  return problems.length > 0 ? `; ${problems.join('; ')}` : '';
}

/**
 * Opens the probe with serial number `serial` or, without one, the only probe connected. When the
 * probe offers both, the bulk (v2) interface is used, and HID if the bulk interface cannot be
 * opened. Errors: ENOPROBE when no probe (or none with that serial) is connected, EAMBIGUOUS when
 * several are and no serial was given; EPROBE when the probe cannot be opened.
 */
export async function openTransport(serial?: string, options: EnumerateOptions = {}): Promise<DapTransport> {
  const found = await scanAll((options.backends ?? defaultBackends).filter((b) => !options.kind || b.kind === options.kind));
  const groups = groupProbes(found.probes);
  let chosen: ProbeInfo[];
  if (serial !== undefined && serial !== '') {
    chosen = found.probes.filter((probe) => probe.serial === serial);
    if (chosen.length === 0) {
      throw transportError(
        'ENOPROBE',
        groups.length === 0
          ? `no CMSIS-DAP probe found (looking for serial "${serial}")${problemsNote(found.problems)}`
          : `no CMSIS-DAP probe with serial "${serial}"; connected: ${groups.map(describeGroup).join(', ')}`,
      );
    }
  } else if (groups.length === 0) {
    throw transportError('ENOPROBE', `no CMSIS-DAP probe found${problemsNote(found.problems)}`);
  } else if (groups.length > 1) {
    throw transportError(
      'EAMBIGUOUS',
      `${groups.length} CMSIS-DAP probes found; choose one by serial: ${groups.map(describeGroup).join(', ')}`,
    );
  } else {
    chosen = groups[0];
  }

  const transportOptions: TransportOptions = { timeoutMs: options.timeoutMs };
  const errors: unknown[] = [];
  for (const probe of chosen) {
    const backend = found.owners.get(probe);
    if (!backend) continue;
    try {
      return await backend.open(probe, transportOptions);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  throw transportError(
    'EPROBE',
    `cannot open the CMSIS-DAP probe ${describeGroup(chosen)}: ${errors.map(describeError).join('; ')}`,
    errors[0],
  );
}

/** What `bmp-gdbserver --list` shows of a probe: what USB says, and what the probe says in DAP_Info. */
export interface ProbeDetails extends ProbeInfo {
  /** CMSIS-DAP v1 (HID) or v2 (bulk). */
  protocol: 'v1' | 'v2';
  /** DAP_Info: the CMSIS-DAP version, and the product firmware version when the probe gives it. */
  dapVersion?: string;
  firmwareVersion?: string;
  /** DAP_Info capabilities: SWD, JTAG, SWO UART, ... */
  capabilities?: string[];
  packetSize?: number;
  /** Why the probe could not be asked (no permission: the udev rule). */
  error?: string;
}

const CAPABILITY_BITS = ['SWD', 'JTAG', 'SWO UART', 'SWO Manchester', 'atomic commands', 'test domain timer', 'SWO streaming', 'UART'];

async function dapInfo(transport: DapTransport, id: number): Promise<Uint8Array | undefined> {
  const r = await transport.transfer(Uint8Array.from([0x00, id]));
  if (r[0] !== 0x00 || r[1] === 0 || r.length < 2 + r[1]) return undefined;
  return r.subarray(2, 2 + r[1]);
}

const infoText = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('latin1').replace(/\0.*$/s, '') : undefined);

/** Every probe interface, opened in turn and asked for its versions and capabilities. */
export async function listProbeDetails(options: EnumerateOptions = {}): Promise<ProbeDetails[]> {
  const backends = options.backends ?? defaultBackends;
  const found = await scanAll(backends);
  if (backends.length > 0 && found.failed === backends.length) {
    throw transportError('EPROBE', `cannot look for CMSIS-DAP probes: ${found.problems.join('; ')}`);
  }
  const details: ProbeDetails[] = [];
  for (const probe of found.probes) {
    const entry: ProbeDetails = { ...probe, protocol: probe.kind === 'bulk' ? 'v2' : 'v1' };
    details.push(entry);
    let transport: DapTransport | undefined;
    try {
      transport = await found.owners.get(probe)!.open(probe, { timeoutMs: options.timeoutMs ?? 500 });
      entry.packetSize = transport.packetSize;
      entry.dapVersion = infoText(await dapInfo(transport, 0x04));
      entry.firmwareVersion = infoText(await dapInfo(transport, 0x09).catch(() => undefined));
      const caps = await dapInfo(transport, 0xf0);
      if (caps) entry.capabilities = CAPABILITY_BITS.filter((_, bit) => caps[0] & (1 << bit));
    } catch (error) {
      entry.error = describeError(error);
    } finally {
      await transport?.close().catch(() => {});
    }
  }
  return details;
}
