// The shape of a CMSIS-DAP transport, shapes the USB probe transports share, and small helpers
// they all use. The request/response pipeline both USB transports run, and the base class they
// share, are in pipeline.ts.
import { BmpError, type BmpErrorCode } from '../errors.js';

/**
 * A CMSIS-DAP probe reached through JavaScript: the USB transports (`openTransport`), or one of
 * your own (TCP, a test double). `openProbe({ transport })` drives a target through it.
 */
export interface DapTransport {
  /** Packet size the transport carries (HID: the report size, usually 64; bulk: the endpoint's wMaxPacketSize multiple the probe reports, usually 512). */
  readonly packetSize: number;
  /** Packets the probe buffers (DAP_Info packet count): `openProbe` keeps this many in flight (default 1). */
  readonly packetCount?: number;
  /** Send one CMSIS-DAP command packet; resolve with its response packet. Transfers are strictly in order; several may be outstanding (pipelining), each resolves in order. */
  transfer(request: Uint8Array): Promise<Uint8Array>;
  /** Releases the probe; `probe.close()` calls it. */
  close(): Promise<void>;
}

export interface ProbeInfo {
  kind: 'hid' | 'bulk';
  serial: string;
  product: string;
  manufacturer: string;
  vendorId: number;
  productId: number;
  path?: string;
}

export interface TransportOptions {
  /** How long to wait for each response packet, in milliseconds (default 1000). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 1000;

/** A BmpError with the lower-level error as `cause`. */
export function transportError(code: BmpErrorCode, message: string, cause?: unknown): BmpError {
  const error = new BmpError(code, message);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/**
 * The error for a probe that cannot be opened: EACCES with the udev rule that fixes it when the
 * cause is a permission problem on Linux, EPROBE otherwise.
 */
export function openError(what: string, cause: unknown): BmpError {
  const text = describeError(cause);
  if (/LIBUSB_ERROR_ACCESS|EACCES|EPERM|permission denied|cannot open device/i.test(text)) {
    const hint =
      process.platform === 'linux'
        ? '; on Linux, a udev rule gives users access: bmp-gdbserver --udev-rules | sudo tee /etc/udev/rules.d/60-bmp-gdbserver.rules, then `sudo udevadm control --reload-rules && sudo udevadm trigger` and plug the probe in again'
        : '';
    return transportError('EACCES', `no permission to open ${what} (${text})${hint}`, cause);
  }
  return transportError('EPROBE', `cannot open ${what}: ${text}`, cause);
}

/** The text of an unknown thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Checks a request before it is queued: non-empty and no longer than the packet size. */
export function checkRequest(request: Uint8Array, packetSize: number): void {
  if (!(request instanceof Uint8Array) || request.length === 0) {
    throw transportError('EINVAL', 'a CMSIS-DAP request is a non-empty Uint8Array');
  }
  if (request.length > packetSize) {
    throw transportError('ERANGE', `request of ${request.length} bytes exceeds the packet size of ${packetSize}`);
  }
}

export function checkTimeout(timeoutMs: number | undefined): number {
  const value = timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(value) || value <= 0) {
    throw transportError('EINVAL', `timeoutMs must be a positive integer, not ${String(timeoutMs)}`);
  }
  return value;
}

/** How a package is imported: by name, resolving with its module. */
export type PackageImporter = (name: string) => Promise<unknown>;

/** `import(name)`: a variable, so that TypeScript does not look for the package's types. */
const importPackage: PackageImporter = (name) => import(name);

/** An optional package the transports use, imported when first needed. */
export interface OptionalPackage<Api> {
  /** The package's API: imported on the first call, then kept. */
  load(): Promise<Api>;
  /**
   * Imports through `importer` from now on (without one: `import()` again), and forgets what was
   * loaded. Tests use it to see what happens when the package cannot be loaded.
   */
  useImporter(importer?: PackageImporter): void;
}

/**
 * An optional package the transports use: `load` imports `name` and hands the module to `pick`,
 * which returns the API used here or throws when the installed version lacks it. A package that
 * cannot be imported at all is reported as EPROBE, saying what `needs` it and the command to
 * `install` it. A failed load is not kept, so that the next call tries again.
 */
export function optionalPackage<Api>(
  name: string,
  needs: string,
  install: string,
  pick: (loaded: unknown) => Api,
): OptionalPackage<Api> {
  let importer = importPackage;
  let loading: Promise<Api> | undefined;
  const load = (): Promise<Api> => {
    loading ??= (async () => {
      let loaded: unknown;
      try {
        loaded = await importer(name);
      } catch (cause) {
        throw transportError(
          'EPROBE',
          `${needs} need the optional package ${name}, which could not be loaded (${describeError(cause)}); install it with "${install}"`,
          cause,
        );
      }
      return pick(loaded);
    })();
    const attempt = loading;
    attempt.catch(() => {
      if (loading === attempt) loading = undefined;
    });
    return attempt;
  };
  return {
    load,
    useImporter(replacement = importPackage) {
      importer = replacement;
      loading = undefined;
    },
  };
}

const DAP_INFO = 0x00;
const DAP_INFO_PACKET_SIZE = 0xff;

/**
 * Asks the probe for its packet size (DAP_Info, ID 0xFF). Resolves with the size, or undefined when
 * the answer is not a plausible one (shorter than 16 bytes); rejects when the transfer fails.
 */
export async function queryPacketSize(transport: Pick<DapTransport, 'transfer'>): Promise<number | undefined> {
  const response = await transport.transfer(Uint8Array.from([DAP_INFO, DAP_INFO_PACKET_SIZE]));
  if (response.length < 4 || response[0] !== DAP_INFO || response[1] !== 2) return undefined;
  const size = response[2] | (response[3] << 8);
  return size >= 16 ? size : undefined;
}

/** What a scan for probes of one kind found, and why devices that might be probes were skipped. */
export interface ProbeScan {
  probes: ProbeInfo[];
  problems: string[];
}
