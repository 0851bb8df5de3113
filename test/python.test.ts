/**
 * MicroPython scripts with the original probe's modules (`bmp-gdbserver run`, `repl`), run as a
 * user runs them: the command in a child process against the simulated profiles, checked by what
 * the script prints, its exit status and, for the GDB server, a real gdb-multiarch.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DapEngine } from '../lib/dap-engine.js';
import { Sim, type SimProfileName } from '../lib/sim.js';
import { openProbe } from '../lib/target.js';
import { fixturePath, loadFixture, symbol } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';
import { RawClient } from './helpers/rsp.js';
import { Random } from './helpers/random.js';

const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));
const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

/** report(name, value): one JSON line the test reads back. */
const PRELUDE = 'import json\ndef report(name, value):\n    print(json.dumps([name, value]))\n';

const hex = (n: number) => '0x' + (n >>> 0).toString(16);

/** A running `bmp-gdbserver run` (or `repl`). */
class Command {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], stdin?: string) {
    this.child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    if (stdin !== undefined) this.child.stdin!.end(stdin);
  }

  /** Waits for `pattern` in the standard output; resolves with its match. */
  async waitFor(pattern: RegExp, timeout = 15_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = pattern.exec(this.stdout);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeout} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The values the script reported, by name. */
  get reports(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const line of this.stdout.split('\n')) {
      if (!line.startsWith('[')) continue;
      const [name, value] = JSON.parse(line) as [string, unknown];
      out[name] = value;
    }
    return out;
  }
}

describe('MicroPython scripts (bmp-gdbserver run, repl)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bmp-python-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  let scripts = 0;
  function script(source: string): string {
    const path = join(dir, `script${++scripts}.py`);
    writeFileSync(path, source);
    return path;
  }

  /** Runs a script to its end; fails the test if it does not exit with `code`. */
  async function run(source: string, options: { cli?: string[]; args?: string[]; code?: number } = {}): Promise<Command> {
    const c = new Command(['run', script(source), ...(options.cli ?? ['--sim', 'stm32f407']), '--', ...(options.args ?? [])]);
    const code = await c.exited;
    assert.equal(code, options.code ?? 0, `exit status ${code}\n${c.stdout}\n${c.stderr}`);
    return c;
  }

  it('scans, attaches and describes each simulated part as the Target API does (memory map above 0x7FFFFFFF included)', async () => {
    for (const profile of Sim.profiles()) {
      const probe = await openProbe({ sim: profile.name as SimProfileName });
      const scan = await probe.swdScan();
      const found = scan[0];
      const api = await probe.attach(1);
      const map = await api.memoryMap();
      await probe.close();

      const c = await run(
        PRELUDE +
          `import target
report("scan", target.swdp_scan())
report("before", [target.attached(), target.driver_name(), target.core_name()])
for n in (0, 3):
    try:
        target.attach(n)
    except Exception as e:
        report("attach%d" % n, [type(e).__name__, str(e)])
report("error", [target.check_error(), target.check_error()])
target.attach(1)
report("after", [target.attached(), target.driver_name(), target.core_name()])
report("map", target.mem_map())
report("xml", ["<memory-map>" in target.mem_map_xml(), "org.gnu.gdb.arm.m-profile" in target.tdesc_xml()])
target.detach()
report("detached", target.attached())
target.reattach()
report("reattached", target.attached())
`,
        { cli: ['--sim', profile.name] },
      );
      const r = c.reports;
      assert.deepEqual(r.scan, scan.map((t) => `${t.part} ${t.core}`), profile.name);
      assert.deepEqual(r.before, [false, null, null]);
      assert.deepEqual(r.attach0, ['ValueError', 'targets are numbered from 1, not 0']);
      assert.deepEqual(r.attach3, ['RuntimeError', 'no target 3 in the last scan [ENOTARGET]']);
      assert.deepEqual(r.error, [true, false], 'check_error reports the failed attach once');
      assert.deepEqual(r.after, [true, found.part, found.core]);
      const expected = map.map((m) => ({
        memory_type: m.type,
        start: m.start,
        length: m.length,
        ...(m.blockSize ? { blocksize: m.blockSize } : {}),
      }));
      assert.deepEqual(r.map, expected);
      assert.ok((r.map as { start: number }[]).some((m) => m.start >= 0xe0000000), 'the system region comes out unsigned');
      assert.deepEqual(r.xml, [true, true]);
      assert.equal(r.detached, false);
      assert.equal(r.reattached, true);
    }
  });

  it('reads and writes memory, at addresses and with values above 0x7FFFFFFF both ways; wrong buffers raise', async () => {
    const random = new Random('python memory');
    const addr = 0x20000400 + 4 * random.below(0x4000);
    const data = Buffer.from(random.bytes(4 + random.below(300)));
    const word = (random.u32() | 0x80000000) >>> 0;
    const comparator = (random.u32() | 0x80000000) >>> 0;
    const c = await run(
      PRELUDE +
        `import sys, struct, target
addr, data, word, comp = int(sys.argv[1], 0), bytes.fromhex(sys.argv[2]), int(sys.argv[3], 0), int(sys.argv[4], 0)
target.swdp_scan()
target.attach(1)
report("write", target.mem_write(addr, data))
buf = bytearray(len(data))
report("read", [target.mem_read(buf, addr), buf.hex()])
view = memoryview(bytearray(8))[2:6]
target.mem_read(view, addr)
report("view", bytes(view).hex())
b4 = bytearray(4)
for a, v in ((0xE000EDF8, word), (0xE0001020, comp)):  # DCRDR, DWT_COMP0: they keep what is written
    target.mem_write(a, struct.pack("<I", v))
    target.mem_read(b4, a)
    report(hex(a), struct.unpack("<I", b4)[0])
target.mem_read(b4, 0xE000ED00)
report("cpuid", struct.unpack("<I", b4)[0])
for name, call in (
    ("immutable", lambda: target.mem_read(bytes(4), addr)),
    ("negative", lambda: target.mem_read(b4, -4)),
    ("too big", lambda: target.mem_read(b4, 1 << 32)),
    ("past 4 GiB", lambda: target.mem_read(bytearray(8), 0xFFFFFFFC)),
    ("not bytes", lambda: target.mem_write(addr, "text")),
    ("bus fault", lambda: target.mem_read(b4, 0x70000000)),
):
    try:
        call()
        report(name, None)
    except Exception as e:
        report(name, [type(e).__name__, str(e)])
report("check_error", [target.check_error(), target.check_error()])
`,
      { args: [hex(addr), data.toString('hex'), hex(word), hex(comparator)] },
    );
    const r = c.reports;
    assert.equal(r.write, 0);
    assert.deepEqual(r.read, [0, data.toString('hex')]);
    assert.equal(r.view, data.subarray(0, 4).toString('hex'), 'into a slice of a memoryview');
    assert.equal(r['0xe000edf8'], word, 'written at and read back from 0xE000EDF8');
    assert.equal(r['0xe0001020'], comparator);
    assert.equal(r.cpuid, 0x410fc241);
    assert.equal((r.immutable as string[])[0], 'TypeError');
    assert.equal((r.negative as string[])[0], 'ValueError');
    assert.deepEqual(r['too big'], ['ValueError', 'src_addr must be 0 to 0xFFFFFFFF, not 4294967296']);
    assert.deepEqual(r['past 4 GiB'], ['ValueError', 'mem_read: the range runs past 4 GiB']);
    assert.equal((r['not bytes'] as string[])[0], 'TypeError');
    assert.equal((r['bus fault'] as string[])[0], 'RuntimeError');
    assert.match((r['bus fault'] as string[])[1], /\[EBUSFAULT\]$/);
    assert.deepEqual(r.check_error, [true, false]);
  });

  it('reads and writes registers in GDB\'s order and numbering, values above 0x7FFFFFFF included', async () => {
    for (const [profile, size] of [['stm32f103', 80], ['stm32f407', 212]] as const) {
      const random = new Random(`python registers ${profile}`);
      const values = Array.from({ length: 4 }, () => (random.u32() | 0x80000000) >>> 0);
      const double = Buffer.from(random.bytes(8));
      const c = await run(
        PRELUDE +
          `import sys, struct, target
vals = [int(v, 0) for v in sys.argv[1:5]]
target.swdp_scan()
target.attach(1)
size = target.regs_size()
report("size", size)
b = bytearray(4)
for n, v in enumerate(vals):
    target.reg_write(n, struct.pack("<I", v))
out = []
for n in range(4):
    target.reg_read(n, b)
    out.append(struct.unpack("<I", b)[0])
report("r0-r3", out)
regs = bytearray(size)
target.regs_read(regs)
report("regs", regs.hex())
new = bytearray(regs)
for i, v in enumerate(vals):
    new[16 + 4 * i:20 + 4 * i] = struct.pack("<I", v)  # r4-r7
new[76] = 1  # PRIMASK, GDB's register 28, the first byte after xPSR, MSP and PSP
target.regs_write(new)
target.regs_read(regs)
report("after", regs.hex())
p = bytearray(1)
target.reg_read(28, p)
report("primask", p[0])
for name, call in (
    ("short", lambda: target.reg_read(0, bytearray(2))),
    ("no such", lambda: target.reg_read(20, b)),
    ("regs short", lambda: target.regs_read(bytearray(size - 1))),
):
    try:
        call()
        report(name, None)
    except Exception as e:
        report(name, type(e).__name__)
d = bytearray(8)
try:
    target.reg_write(32, bytes.fromhex(sys.argv[5]))
    target.reg_read(32, d)
    report("d0", d.hex())
except ValueError as e:
    report("d0", "ValueError")
`,
        { cli: ['--sim', profile], args: [...values.map(hex), double.toString('hex')] },
      );
      const r = c.reports;
      assert.equal(r.size, size);
      assert.deepEqual(r['r0-r3'], values);
      const regs = Buffer.from(r.regs as string, 'hex');
      assert.deepEqual([0, 1, 2, 3].map((i) => regs.readUInt32LE(4 * i)), values, 'regs_read has r0-r3 first');
      const after = Buffer.from(r.after as string, 'hex');
      assert.deepEqual([4, 5, 6, 7].map((i) => after.readUInt32LE(4 * i)), values, 'regs_write wrote r4-r7');
      assert.equal(after[76], 1);
      assert.equal(r.primask, 1);
      assert.equal(r.short, 'ValueError');
      assert.equal(r['no such'], 'ValueError');
      assert.equal(r['regs short'], 'ValueError');
      assert.equal(r.d0, profile === 'stm32f407' ? double.toString('hex') : 'ValueError');
    }
  });

  it('halts, steps and resumes, and halt_poll reports breakpoints, a watchpoint with its address, a request and a reset', async () => {
    const image = loadFixture('stm32f407');
    const tick = symbol(image, 'fixture_tick') & ~1;
    const watched = symbol(image, 'watched');
    const reset = symbol(image, 'Reset_Handler') & ~1;
    const c = await run(
      PRELUDE +
        `import sys, struct, target
tick, watched, reset = [int(a, 0) for a in sys.argv[1:4]]
def pc():
    b = bytearray(4)
    target.reg_read(15, b)
    return struct.unpack("<I", b)[0]
def until_halted():
    for i in range(2000):
        state = target.halt_poll()
        if state[0] != target.HALT_RUNNING:
            return state
    return state
target.swdp_scan()
target.attach(1)
report("attached", target.halt_poll())
before = pc()
target.halt_resume(True)
report("step", [target.halt_poll(), pc() != before])
target.breakwatch_set(target.BREAK_HARD, tick, 2)
target.halt_resume(False)
report("breakpoint", [until_halted(), pc() == tick])
target.breakwatch_clear(target.BREAK_HARD, tick, 2)
target.breakwatch_set(target.WATCH_WRITE, watched, 4)
target.halt_resume(False)
report("watchpoint", until_halted())
target.breakwatch_clear(target.WATCH_WRITE, watched, 4)
target.halt_resume(False)
report("running", target.halt_poll())
target.halt_request()
report("requested", target.halt_poll())
target.reset()
report("reset", [target.halt_poll(), pc() == reset])
ram = 0x20010000
target.mem_write(ram, b"\\x70\\x47")  # bx lr
target.breakwatch_set(target.BREAK_SOFT, ram, 2)
b = bytearray(2)
target.mem_read(b, ram)
report("soft set", b.hex())
target.breakwatch_clear(target.BREAK_SOFT, ram, 2)
target.mem_read(b, ram)
report("soft cleared", b.hex())
for name, call in (
    ("kind", lambda: target.breakwatch_set(9, tick, 2)),
    ("length", lambda: target.breakwatch_set(target.BREAK_HARD, tick, 3)),
):
    try:
        call()
        report(name, None)
    except ValueError as e:
        report(name, "ValueError")
report("constants", [target.HALT_RUNNING, target.HALT_ERROR, target.HALT_REQUEST, target.HALT_STEPPING,
    target.HALT_BREAKPOINT, target.HALT_WATCHPOINT, target.HALT_FAULT, target.BREAK_SOFT, target.BREAK_HARD,
    target.WATCH_WRITE, target.WATCH_READ, target.WATCH_ACCESS])
`,
      { cli: ['--sim', 'stm32f407', '--image', fixturePath('stm32f407')], args: [hex(tick), hex(watched), hex(reset)] },
    );
    const r = c.reports;
    assert.deepEqual(r.attached, [2, 'request', 0]);
    assert.deepEqual(r.step, [[3, 'step', 0], true]);
    assert.deepEqual(r.breakpoint, [[4, 'breakpoint', 0], true]);
    assert.deepEqual(r.watchpoint, [5, 'watchpoint', watched]);
    assert.deepEqual(r.running, [0, 'running', 0]);
    assert.deepEqual(r.requested, [2, 'request', 0]);
    assert.deepEqual(r.reset, [[2, 'reset', 0], true]);
    assert.equal(r['soft set'], '00be');
    assert.equal(r['soft cleared'], '7047');
    assert.equal(r.kind, 'ValueError');
    assert.equal(r.length, 'ValueError');
    assert.deepEqual(r.constants, [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4]);
  });

  it('programs flash with flash_write and flash_done, erases it with flash_erase, and reads back what it should', async () => {
    for (const [profile, base, block] of [['stm32f407', 0x08004000, 0x4000], ['stm32f103', 0x08001000, 0x400]] as const) {
      const random = new Random(`python flash ${profile}`);
      const first = Buffer.from(random.bytes(64 + random.below(block / 2)));
      const second = Buffer.from(random.bytes(64 + random.below(block / 2)));
      const c = await run(
        PRELUDE +
          `import sys, target
base, block = int(sys.argv[1], 0), int(sys.argv[2], 0)
first, second = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
target.swdp_scan()
target.attach(1)
def read(addr, n):
    b = bytearray(n)
    target.mem_read(b, addr)
    return b
report("write", [target.flash_write(base, first), target.flash_done(), read(base, len(first)).hex()])
report("erase", target.flash_erase(base, 1))
report("erased", read(base, block) == b"\\xff" * block)
half = len(second) // 2
target.flash_write(base, second[:half])
target.flash_write(base + half, second[half:])
target.flash_done()
report("second", read(base, len(second)).hex())
report("rest", read(base + len(second), block - len(second)) == b"\\xff" * (block - len(second)))
for name, call in (("write RAM", lambda: target.flash_write(0x20000000, b"x")), ("erase RAM", lambda: target.flash_erase(0x20000000, 4))):
    try:
        call()
        report(name, None)
    except ValueError as e:
        report(name, str(e))
`,
        { cli: ['--sim', profile], args: [hex(base), hex(block), first.toString('hex'), second.toString('hex')] },
      );
      const r = c.reports;
      assert.deepEqual(r.write, [0, 0, first.toString('hex')], profile);
      assert.equal(r.erase, 0);
      assert.equal(r.erased, true, 'the whole block the range touched is erased');
      assert.equal(r.second, second.toString('hex'));
      assert.equal(r.rest, true);
      assert.match(r['write RAM'] as string, /^flash_write: 0x20000000\+0x1 is not all in the part's flash/);
      assert.match(r['erase RAM'] as string, /^flash_erase: 0x20000000\+0x4 is not all in the part's flash/);
    }
  });

  it('runs CMSIS-DAP requests through the DAP engine with dap.process, as the engine answers them', async () => {
    const sim = new Sim('stm32f407');
    const engine = new DapEngine(sim, { packetSize: 64 });
    const [product] = engine.executeSync(Uint8Array.of(0x00, 0x02));
    const [size] = engine.executeSync(Uint8Array.of(0x00, 0xff));
    sim.close();
    const c = await run(
      PRELUDE +
        `import dap
dap.init()
resp = bytearray(64)
report("product", [dap.process(b"\\x00\\x02", resp), resp.hex()])
report("size", [dap.process(bytearray(b"\\x00\\xff"), resp), resp[:4].hex()])
for name, call in (("small", lambda: dap.process(b"\\x00\\x02", bytearray(2))), ("deinit", lambda: (dap.deinit(), dap.process(b"\\x00\\x02", resp)))):
    try:
        call()
        report(name, None)
    except Exception as e:
        report(name, [type(e).__name__, str(e)])
`,
    );
    const r = c.reports;
    const [ok, productHex] = r.product as [boolean, string];
    assert.equal(ok, true);
    assert.equal(productHex.slice(0, 2 * product.length), Buffer.from(product).toString('hex'));
    assert.match(Buffer.from(productHex.slice(4, 2 * product.length), 'hex').toString(), /CMSIS-DAP/);
    assert.deepEqual(r.size, [true, Buffer.from(size).toString('hex')]);
    assert.deepEqual(r.small, ['ValueError', `the response is ${product.length} bytes: resp holds only 2`]);
    assert.deepEqual(r.deinit, ['RuntimeError', 'dap.init() first']);
  });

  it('bmp.init(tcp=...) serves gdb-multiarch while the script runs on, and `monitor python` calls back into it (the example)', async function () {
    if (!haveGdb()) this.skip();
    const c = new Command([
      'run', join(examples, 'gdb-and-python.py'), '--sim', 'stm32f407', '--image', fixturePath('stm32f407'), '--', '0',
    ]);
    const port = Number((await c.waitFor(/GDB server on 127\.0\.0\.1:(\d+)/))[1]);
    const gdb = new GdbDriver(fixturePath('stm32f407'));
    try {
      await gdb.run(`target extended-remote 127.0.0.1:${port}`);
      assert.match(await gdb.run('monitor swdp_scan'), /1\s+STM32F40x\/41x Cortex-M4/);
      assert.match(await gdb.run('attach 1'), /main|fixture/);
      const polls = async () => Number(/^(\d+)$/m.exec(await gdb.run('monitor python polls'))![1]);
      const first = await polls();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.ok((await polls()) > first, 'the script counts on while GDB is attached');
      assert.match(await gdb.run('monitor python peek(0xE000ED00)'), /'0x410fc241'/);
      assert.match(await gdb.run('monitor python target.attached()'), /True/);
      const failed = await gdb.run('monitor python 1/0');
      assert.match(failed, /ZeroDivisionError: divide by zero/);
      assert.doesNotMatch(failed, /_dispatch/);
      assert.match(await gdb.run('monitor help'), /python -- Call the script's function/);
      assert.match(await gdb.run('monitor version'), /bmp-gdbserver 0\.1\.0/);
      assert.match(await gdb.run('x/wx 0xE000ED00'), /0x410fc241/);
      assert.match(await gdb.run('stepi'), /0x[0-9a-f]+/);
      await gdb.run('detach');
      assert.match(await gdb.run('monitor python stop()'), /'stopping'/);
    } finally {
      await gdb.quit();
    }
    assert.equal(await c.exited, 0, c.stderr);
    assert.match(c.stdout, /Done after \d+ polls/);
  });

  it('runs the watch-variable example: each write to the variable stops the core, with its address', async () => {
    const image = loadFixture('stm32f407');
    const watched = symbol(image, 'watched');
    const c = new Command([
      'run', join(examples, 'watch-variable.py'), '--sim', 'stm32f407', '--image', fixturePath('stm32f407'), '--', hex(watched), '3',
    ]);
    assert.equal(await c.exited, 0, c.stderr);
    assert.match(c.stdout, /^1 {2}STM32F40x\/41x Cortex-M4$/m);
    assert.match(c.stdout, /^CPUID 0x410fc241$/m);
    assert.match(c.stdout, /^ {2}device 0xe0000000 /m);
    const writes = [...c.stdout.matchAll(/^write (\d) to (0x[0-9a-f]{8}): (0x[0-9a-f]{8}) \(pc 0x[0-9a-f]{8}\)$/gm)];
    assert.deepEqual(writes.map((m) => [m[1], Number(m[2])]), [['1', watched], ['2', watched], ['3', watched]]);
    assert.equal(new Set(writes.map((m) => m[3])).size, 3, 'a new value each time');
    assert.match(c.stdout, /Detached; the target runs on/);
  });

  it('a Python exception gives its traceback and exit status 1; sys.exit gives its own; misuse is explained', async () => {
    const failing = await run('import target\n\ndef inner():\n    raise ValueError("bad value %d" % 42)\n\ndef outer():\n    inner()\n\nouter()\n', { code: 1 });
    assert.match(
      failing.stderr,
      /Traceback \(most recent call last\):\n {2}File "[^"]*\.py", line 9, in <module>\n {2}File "[^"]*\.py", line 7, in outer\n {2}File "[^"]*\.py", line 4, in inner\nValueError: bad value 42\n/,
    );
    assert.doesNotMatch(failing.stderr, /_bmp|<stdin>/);
    const exiting = await run('import sys\nprint("before")\nsys.exit(3)\n', { code: 3 });
    assert.equal(exiting.stdout, 'before\n');
    const stream = await run('import bmp\nbmp.init(stream=1)\n', { code: 1 });
    assert.match(stream.stderr, /ValueError: bmp.init\(stream=\.\.\.\) serves GDB on the probe's own USB serial port, which a PC does not have: use bmp.init\(tcp=port\)/);
    const unattached = await run('import target\nb = bytearray(4)\ntarget.mem_read(b, 0x20000000)\n', { code: 1 });
    assert.match(unattached.stderr, /RuntimeError: no target is attached: target.attach\(n\) first \[ENOTATTACHED\]/);
    const twice = await run('import bmp\nbmp.init(tcp=0)\nbmp.init(tcp=0)\n', { code: 1 });
    assert.match(twice.stderr, /RuntimeError: the GDB server is already running: bmp.deinit\(\) first \[EBUSY\]/);
    const missing = new Command(['run', join(dir, 'no-such.py'), '--sim']);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr, /cannot read the script .*no-such\.py: ENOENT/);
  });

  it('Ctrl-C stops a script that loops forever: KeyboardInterrupt in it, its finally runs, the probe and its GDB port are released', async () => {
    const c = new Command([
      'run',
      script('import target, bmp\ntarget.swdp_scan()\ntarget.attach(1)\nprint("port", bmp.init(tcp=0))\ntry:\n    while True:\n        target.halt_poll()\nfinally:\n    print("finally ran")\n'),
      '--sim',
      '-v',
    ]);
    const port = Number((await c.waitFor(/^port (\d+)$/m))[1]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = Date.now();
    c.child.kill('SIGINT');
    assert.equal(await c.exited, 130, c.stderr);
    assert.ok(Date.now() - sent < 2000, `stopped in ${Date.now() - sent} ms`);
    assert.match(c.stderr, /Traceback \(most recent call last\):\n {2}File "[^"]*\.py", line 7, in <module>\n[^]*KeyboardInterrupt\n/);
    assert.match(c.stdout, /finally ran/);
    assert.match(c.stderr, /the probe is released/);
    // Its GDB server is gone: the port is free.
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    await new Promise((resolve) => server.close(resolve));

    // A loop in pure Python never looks: it is ended, and the probe released all the same.
    const pure = new Command(['run', script('x = 0\nprint("looping")\nwhile True:\n    x += 1\n'), '--sim', '-v']);
    await pure.waitFor(/looping/);
    pure.child.kill('SIGINT');
    assert.equal(await pure.exited, 130);
    assert.match(pure.stderr, /KeyboardInterrupt: the script did not notice it/);
    assert.match(pure.stderr, /the probe is released/);

    // A script that ends well with its GDB server running leaves it serving until Ctrl-C.
    const serving = new Command(['run', script('import bmp, target\ntarget.cmdline("app --fast")\nprint("port", bmp.init(tcp=0))\n'), '--sim', '-v']);
    const servingPort = Number((await serving.waitFor(/^port (\d+)$/m))[1]);
    const deadline = Date.now() + 10_000;
    while (!/goes on at 127\.0\.0\.1:\d+ until Ctrl-C/.test(serving.stderr) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const client = await RawClient.connect(servingPort);
    assert.equal(await client.request('vAttach;1'), 'T05thread:1;');
    client.close();
    serving.child.kill('SIGINT');
    assert.equal(await serving.exited, 0, serving.stderr);
    assert.match(serving.stderr, /the probe is released/);
  });

  it('repl: the same modules at the prompt, reading lines from a pipe', async () => {
    const c = new Command(['repl', '--sim', 'stm32f103'], 'import target\nprint(target.swdp_scan())\n1/0\nprint("still here")\n');
    assert.equal(await c.exited, 0, c.stderr);
    assert.match(c.stdout, />>> print\(target.swdp_scan\(\)\)\r?\n\['STM32F1 medium density Cortex-M3'\]/);
    assert.match(c.stdout, /ZeroDivisionError: divide by zero/);
    assert.match(c.stdout, /still here/);
    assert.match(c.stderr, /modules target, bmp and dap on the simulated stm32f103/);
  });
});
