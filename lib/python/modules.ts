/**
 * The operations behind the MicroPython modules `target`, `bmp` and `dap` (python/*.py), done on
 * the main thread with the Target API, the GDB server and the DAP engine. Each takes the values
 * the Python side sent (32-bit values arrive signed: they are read back unsigned here) and
 * returns what goes back; a ScriptValueError becomes Python's ValueError, anything else its
 * RuntimeError with the reason. README.md ("MicroPython scripts") says what each one does.
 */
import { DapEngine } from '../dap-engine.js';
import { BmpError } from '../errors.js';
import { GdbServer } from '../gdb-server.js';
import type { MemoryRegion, Probe, Target } from '../target.js';
import type { ScriptResult, ScriptValue } from './protocol.js';

/** Raised as Python's ValueError: the script asked for something that cannot be. */
export class ScriptValueError extends Error {}
/** Raised as Python's TypeError. */
export class ScriptTypeError extends Error {}

// target.HALT_* and the BREAK_*/WATCH_* kinds, as python/target.py numbers them.
const HALT_ERROR = 1, HALT_REQUEST = 2, HALT_STEPPING = 3, HALT_BREAKPOINT = 4, HALT_WATCHPOINT = 5, HALT_FAULT = 6;
const BREAK_SOFT = 0, BREAK_HARD = 1, WATCH_WRITE = 2, WATCH_READ = 3, WATCH_ACCESS = 4;
const BKPT_0 = [0x00, 0xbe]; // BKPT #0, little-endian

/** One register as GDB numbers and lays it out (the target description, native/core/cortexm/description.c). */
interface RegisterSlot {
  gdb: number;
  size: 1 | 4 | 8;
  /** Target API names: one, or the two single-precision halves of a double. */
  names: string[];
}

function registerLayout(hasFpu: boolean): RegisterSlot[] {
  const core = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc'];
  const slots: RegisterSlot[] = core.map((name, gdb) => ({ gdb, size: 4, names: [name] }));
  ['xpsr', 'msp', 'psp'].forEach((name, i) => slots.push({ gdb: 25 + i, size: 4, names: [name] }));
  ['primask', 'basepri', 'faultmask', 'control'].forEach((name, i) => slots.push({ gdb: 28 + i, size: 1, names: [name] }));
  if (hasFpu) {
    for (let i = 0; i < 16; i++) slots.push({ gdb: 32 + i, size: 8, names: [`s${2 * i}`, `s${2 * i + 1}`] });
    slots.push({ gdb: 48, size: 4, names: ['fpscr'] });
  }
  return slots;
}

const u32 = (v: ScriptValue): number => Number(v) >>> 0;

function hexBytes(hex: ScriptValue): Uint8Array {
  return Uint8Array.from(Buffer.from(String(hex), 'hex'));
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

function putLE(out: Uint8Array, at: number, value: number, size: number): void {
  for (let b = 0; b < size; b++) out[at + b] = Math.floor(value / 2 ** (8 * b)) & 0xff;
}

function getLE(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let b = size - 1; b >= 0; b--) v = v * 256 + bytes[at + b];
  return v;
}

export interface ScriptModulesOptions {
  probe: Probe;
  /** Diagnostics of bmp.debug(True), one line each. */
  log: (line: string) => void;
  /** Runs the script's `monitor python` callback (bmp.repl_fun). */
  callback: (text: string) => Promise<{ output: string; ok: boolean }>;
}

export class ScriptModules {
  private target?: Target;
  private index = 0;
  private part = '';
  private connectUnderReset = false;
  private failed = false;
  private map?: MemoryRegion[];
  private flashQueue: { address: number; data: Uint8Array }[] = [];
  private readonly softBreaks = new Map<number, Uint8Array>();
  private cmdline?: string;
  private heapInfo?: [number, number, number, number];
  private server?: GdbServer;
  private debug = false;
  private hasCallback = false;
  private dap?: DapEngine;
  private dapPending: Uint8Array[] = [];

  constructor(private readonly options: ScriptModulesOptions) {}

  /** The GDB server bmp.init started, if it runs. */
  get gdbServer(): GdbServer | undefined {
    return this.server;
  }

  async run(op: string, args: ScriptValue[]): Promise<ScriptResult> {
    const fn = this.ops[op];
    if (!fn) throw new ScriptValueError(`no operation ${op}`);
    if (!op.startsWith('target.')) return fn(args);
    try {
      return await fn(args);
    } catch (error) {
      if (!(error instanceof ScriptValueError) && !(error instanceof ScriptTypeError)) this.failed = true;
      throw error;
    }
  }

  /** Stops what the script started (the GDB server); leaves the probe to its owner. */
  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** The attached target: the one the script attached, or one that GDB attached (bmp.init's server). */
  private async current(): Promise<Target> {
    if (this.target?.isAttached) return this.target;
    const target = await this.options.probe.currentTarget();
    if (!target) throw new BmpError('ENOTATTACHED', 'no target is attached: target.attach(n) first');
    this.map = undefined;
    this.part = await target.partName();
    this.target = target;
    return target;
  }

  private async memoryMap(): Promise<MemoryRegion[]> {
    this.map ??= await (await this.current()).memoryMap();
    return this.map;
  }

  private async inFlash(addr: number, length: number): Promise<boolean> {
    return (await this.memoryMap()).some((r) => r.type === 'flash' && addr >= r.start && addr + length <= r.start + r.length);
  }

  private async requireFlash(addr: number, length: number, what: string): Promise<void> {
    if (addr + length > 0x100000000) throw new ScriptValueError(`${what}: the range runs past 4 GiB`);
    if (!(await this.inFlash(addr, length))) {
      throw new ScriptValueError(`${what}: 0x${addr.toString(16)}+0x${length.toString(16)} is not all in the part's flash (see target.mem_map())`);
    }
  }

  private async layout(): Promise<RegisterSlot[]> {
    return registerLayout((await this.current()).hasFpu);
  }

  private async slot(gdb: number, length: number): Promise<RegisterSlot> {
    const layout = await (await this.layout());
    const slot = layout.find((s) => s.gdb === gdb);
    if (!slot) {
      throw new ScriptValueError(`no register ${gdb}: GDB's numbers are 0-15, 25-31${layout.length > 23 ? ', 32-48' : ''} (see target.tdesc_xml())`);
    }
    if (length !== slot.size) throw new ScriptValueError(`register ${gdb} is ${slot.size} bytes: the buffer has ${length}`);
    return slot;
  }

  private readSlot(slot: RegisterSlot, values: Record<string, number>, out: Uint8Array, at: number): void {
    if (slot.size === 8) {
      putLE(out, at, values[slot.names[0]], 4);
      putLE(out, at + 4, values[slot.names[1]], 4);
    } else {
      putLE(out, at, values[slot.names[0]], slot.size);
    }
  }

  private async writeSlot(target: Target, slot: RegisterSlot, bytes: Uint8Array, at: number): Promise<void> {
    if (slot.size === 8) {
      await target.writeRegister(slot.names[0], getLE(bytes, at, 4));
      await target.writeRegister(slot.names[1], getLE(bytes, at + 4, 4));
    } else {
      await target.writeRegister(slot.names[0], getLE(bytes, at, slot.size));
    }
  }

  private async applySemihosting(): Promise<void> {
    if (this.server) await this.server.setSemihosting({ cmdline: this.cmdline, heapInfo: this.heapInfo });
  }

  private readonly ops: Record<string, (args: ScriptValue[]) => Promise<ScriptResult> | ScriptResult> = {
    'time.sleep': ([seconds]) => new Promise((resolve) => setTimeout(() => resolve(null), Number(seconds) * 1000)),

    // ---- target ----
    'target.swdp_scan': async ([srst]) => {
      this.target = undefined;
      this.map = undefined;
      this.softBreaks.clear();
      const found = await this.options.probe.swdScan();
      this.connectUnderReset = Boolean(srst);
      return found.map((t) => `${t.part || 'Cortex-M'} ${t.core}`);
    },
    'target.attach': async ([n]) => {
      this.target = undefined;
      this.map = undefined;
      this.softBreaks.clear();
      const target = await this.options.probe.attach(Number(n));
      if (this.connectUnderReset) await target.reset({ halt: true, pin: true });
      else await target.halt();
      this.part = await target.partName();
      this.target = target;
      this.index = Number(n);
      return null;
    },
    'target.detach': async () => {
      const target = this.target?.isAttached ? this.target : await this.options.probe.currentTarget();
      this.target = undefined;
      this.softBreaks.clear();
      if (target) await target.detach();
      return null;
    },
    'target.reattach': async () => {
      if (!this.index) throw new BmpError('ENOTATTACHED', 'nothing was attached before: target.attach(n) first');
      await this.ops['target.detach']([]);
      return this.ops['target.attach']([this.index]);
    },
    'target.attached': async () => (await this.options.probe.currentTarget()) !== undefined,
    'target.driver_name': async () => ((await this.options.probe.currentTarget()) ? (await this.current(), this.part) : null),
    'target.core_name': async () => ((await this.options.probe.currentTarget()) ? (await this.current()).core : null),
    'target.check_error': () => {
      const failed = this.failed;
      this.failed = false;
      return failed;
    },
    'target.mem_map': async () =>
      (await this.memoryMap()).flatMap((r) => [r.type, r.start, r.length, r.blockSize ?? 0]),
    'target.mem_map_xml': async () => (await this.current()).memoryMapXml(),
    'target.mem_read': async ([addr, length]) => {
      const a = u32(addr), n = Number(length);
      if (n > 16 << 20) throw new ScriptValueError('mem_read reads at most 16 MiB at once');
      if (a + n > 0x100000000) throw new ScriptValueError('mem_read: the range runs past 4 GiB');
      return toHex(await (await this.current()).readMemory(a, n));
    },
    'target.mem_write': async ([addr, hex]) => {
      const a = u32(addr), data = hexBytes(hex);
      if (a + data.length > 0x100000000) throw new ScriptValueError('mem_write: the range runs past 4 GiB');
      await (await this.current()).writeMemory(a, data);
      return null;
    },
    'target.flash_erase': async ([addr, length]) => {
      const a = u32(addr), n = u32(length);
      if (n === 0) return null;
      await this.requireFlash(a, n, 'flash_erase');
      await (await this.current()).eraseFlash(a, n);
      return null;
    },
    'target.flash_write': async ([addr, hex]) => {
      const a = u32(addr), data = hexBytes(hex);
      if (!data.length) return null;
      await this.requireFlash(a, data.length, 'flash_write');
      this.flashQueue.push({ address: a, data });
      return null;
    },
    'target.flash_done': async () => {
      const segments = this.flashQueue;
      this.flashQueue = [];
      if (segments.length) await (await this.current()).flash(segments, { verify: true });
      return null;
    },
    'target.tdesc_xml': async () => (await this.current()).targetDescription(),
    'target.regs_size': async () => (await this.layout()).reduce((n, s) => n + s.size, 0),
    'target.regs_read': async ([length]) => {
      const layout = await this.layout();
      const size = layout.reduce((n, s) => n + s.size, 0);
      if (Number(length) !== size) throw new ScriptValueError(`regs_read needs a buffer of regs_size() = ${size} bytes, not ${length}`);
      const values = await (await this.current()).readRegisters();
      const out = new Uint8Array(size);
      let at = 0;
      for (const slot of layout) {
        this.readSlot(slot, values, out, at);
        at += slot.size;
      }
      return toHex(out);
    },
    'target.regs_write': async ([hex]) => {
      const target = (await this.current());
      const layout = await this.layout();
      const bytes = hexBytes(hex);
      const size = layout.reduce((n, s) => n + s.size, 0);
      if (bytes.length !== size) throw new ScriptValueError(`regs_write needs a buffer of regs_size() = ${size} bytes, not ${bytes.length}`);
      let at = 0;
      for (const slot of layout) {
        if (slot.size === 1) {
          // PRIMASK, BASEPRI, FAULTMASK and CONTROL share one word (REGSEL 20): written together.
          if (slot.names[0] === 'primask') await target.writeRegister(20, getLE(bytes, at, 4));
        } else {
          await this.writeSlot(target, slot, bytes, at);
        }
        at += slot.size;
      }
      return null;
    },
    'target.reg_read': async ([n, length]) => {
      const slot = await this.slot(Number(n), Number(length));
      const target = (await this.current());
      const values: Record<string, number> = {};
      for (const name of slot.names) values[name] = await target.readRegister(name);
      const out = new Uint8Array(slot.size);
      this.readSlot(slot, values, out, 0);
      return toHex(out);
    },
    'target.reg_write': async ([n, hex]) => {
      const bytes = hexBytes(hex);
      const slot = await this.slot(Number(n), bytes.length);
      await this.writeSlot((await this.current()), slot, bytes, 0);
      return null;
    },
    'target.reset': async () => {
      const target = (await this.current());
      const halted = (await target.haltReason()).reason !== 'running';
      await target.reset({ halt: halted });
      return null;
    },
    'target.halt_request': async () => {
      await (await this.current()).halt();
      return null;
    },
    'target.halt_resume': async ([step]) => {
      const target = (await this.current());
      if (step) await target.step();
      else await target.resume();
      return null;
    },
    'target.halt_poll': async () => {
      const target = (await this.current());
      const sim = this.options.probe.sim;
      try {
        let state = await target.haltReason();
        if (state.reason === 'running' && sim) {
          sim.advance(1_000_000); // the simulated core runs 1 ms a poll
          state = await target.haltReason();
        }
        switch (state.reason) {
          case 'running': return [0, 'running', 0];
          case 'request': return [HALT_REQUEST, 'request', 0];
          case 'step': return [HALT_STEPPING, 'step', 0];
          case 'breakpoint': return [HALT_BREAKPOINT, 'breakpoint', 0];
          case 'watchpoint': return [HALT_WATCHPOINT, 'watchpoint', state.address];
          case 'lockup': return [HALT_FAULT, 'lockup', 0];
          case 'vector-catch': {
            // Caught at the reset vector (thread mode), or entering a fault handler.
            const ipsr = (await target.readRegister('xpsr')) & 0x1ff;
            return ipsr === 0 ? [HALT_REQUEST, 'reset', 0] : [HALT_FAULT, 'fault', 0];
          }
        }
      } catch (error) {
        this.failed = true;
        return [HALT_ERROR, `error: ${(error as Error).message}`, 0];
      }
      return [HALT_ERROR, 'unknown', 0];
    },
    'target.breakwatch': async ([set, type, addr, length]) => {
      const target = (await this.current());
      const a = u32(addr), n = u32(length), kind = u32(type);
      if (kind === BREAK_SOFT || kind === BREAK_HARD) {
        if (n !== 2 && n !== 4) throw new ScriptValueError(`a breakpoint covers an instruction of 2 or 4 bytes, not ${n}`);
        if (a & 1) throw new ScriptValueError(`breakpoints go on even addresses, not 0x${a.toString(16)}`);
        // A soft breakpoint is a BKPT in RAM; in flash, where one cannot be written, the FPB serves.
        if (kind === BREAK_SOFT && !(await this.inFlash(a, 2))) {
          if (set && !this.softBreaks.has(a)) {
            const saved = await target.readMemory(a, 2);
            await target.writeMemory(a, Uint8Array.from(BKPT_0));
            this.softBreaks.set(a, saved);
          } else if (!set) {
            const saved = this.softBreaks.get(a);
            if (!saved) throw new ScriptValueError(`no soft breakpoint at 0x${a.toString(16)}`);
            await target.writeMemory(a, saved);
            this.softBreaks.delete(a);
          }
          return null;
        }
        if (set) await target.setBreakpoint(a);
        else await target.clearBreakpoint(a);
        return null;
      }
      if (kind === WATCH_WRITE || kind === WATCH_READ || kind === WATCH_ACCESS) {
        if (set) await target.setWatchpoint(a, n, kind === WATCH_WRITE ? 'write' : kind === WATCH_READ ? 'read' : 'access');
        else await target.clearWatchpoint(a, n);
        return null;
      }
      throw new ScriptValueError(`no breakpoint or watchpoint type ${kind}: BREAK_SOFT, BREAK_HARD, WATCH_WRITE, WATCH_READ or WATCH_ACCESS`);
    },
    'target.cmdline': async ([text]) => {
      const s = String(text);
      if (Buffer.byteLength(s) >= 128 || s.includes('\0')) throw new ScriptValueError('the command line must be under 128 bytes, without NUL');
      this.cmdline = s;
      await this.applySemihosting();
      return null;
    },
    'target.heapinfo': async (words) => {
      this.heapInfo = [u32(words[0]), u32(words[1]), u32(words[2]), u32(words[3])];
      await this.applySemihosting();
      return null;
    },

    // ---- bmp ----
    'bmp.init': async ([port]) => {
      if (this.server) throw new BmpError('EBUSY', 'the GDB server is already running: bmp.deinit() first');
      const p = u32(port);
      if (p > 65535) throw new ScriptValueError(`tcp must be a port, 0 to 65535, not ${p}`);
      const server = new GdbServer({
        probe: this.options.probe,
        port: p,
        host: '127.0.0.1',
        log: (line) => {
          if (this.debug) this.options.log(line);
        },
        monitorCommands: [
          {
            name: 'python',
            help: 'Call the script\'s function (bmp.repl_fun) with the rest of the line',
            run: (text) =>
              this.hasCallback
                ? this.options.callback(text)
                : Promise.resolve({ output: 'No Python callback: the script has not called bmp.repl_fun(cb).\n', ok: false }),
          },
        ],
      });
      const bound = await server.listen();
      this.server = server;
      await this.applySemihosting();
      return bound;
    },
    'bmp.deinit': async () => {
      await this.close();
      return null;
    },
    'bmp.debug': ([on]) => {
      if (on !== null && on !== undefined) this.debug = Boolean(on);
      return this.debug;
    },
    'bmp.repl_fun': ([on]) => {
      this.hasCallback = Boolean(on);
      return null;
    },

    // ---- dap ----
    'dap.init': ([size]) => {
      const sim = this.options.probe.sim;
      if (!sim) throw new BmpError('ENOTSUP', 'the dap module drives the simulated target: run the script with --sim (a USB probe has its own CMSIS-DAP engine)');
      const packetSize = Number(size);
      if (!Number.isInteger(packetSize) || packetSize < 64 || packetSize > 1024) {
        throw new ScriptValueError(`packet_size must be 64 to 1024, not ${size}`);
      }
      this.dap = new DapEngine(sim, { packetSize });
      this.dapPending = [];
      return null;
    },
    'dap.deinit': () => {
      this.dap = undefined;
      this.dapPending = [];
      return null;
    },
    'dap.process': ([hex, room]) => {
      if (!this.dap) throw new Error('dap.init() first');
      const request = hexBytes(hex);
      if (request.length) this.dapPending.push(...this.dap.executeSync(request));
      const response = this.dapPending.shift();
      if (!response) return null;
      if (response.length > Number(room)) {
        throw new ScriptValueError(`the response is ${response.length} bytes: resp holds only ${room}`);
      }
      return toHex(response);
    },
  };
}
