/**
 * A fault shows in GDB as silicon shows it: the fault programs (test/fixtures/firmware/faults.c),
 * built for each part's own core, under gdb-multiarch against `bmp-gdbserver --sim <part>`. For
 * each fault: the stop in the handler the architecture routes it to, the exception number in
 * xPSR (`info registers`), the stacked PC at the faulting instruction, and CFSR, HFSR and BFAR
 * read with `x/wx` (ARMv7-M ARM B3.2.15-B3.2.18). The same program, linked for QEMU's MPS2
 * machines with the same cores, passes the same checks under QEMU: the independent reference.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

import type { ElfImage } from '../lib/elf.js';
import { fixturePath, loadFixture, symbol } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';
import { startSimCli } from './helpers/sim-cli.js';

const CFSR = 0xe000ed28, HFSR = 0xe000ed2c, BFAR = 0xe000ed38;
const UNDEFINSTR = 1 << 16, NOCP = 1 << 19, UNALIGNED = 1 << 24, DIVBYZERO = 1 << 25;
const PRECISERR = 1 << 9, BFARVALID = 1 << 15, FORCED = 0x40000000;
const BUS_ADDRESS = 0x5f000000;

const faults = [
  { kind: 1, name: 'undefined instruction', handler: 'UsageFault_Handler', exception: 6, cfsr: UNDEFINSTR },
  { kind: 2, name: 'divide by zero with CCR.DIV_0_TRP', handler: 'UsageFault_Handler', exception: 6, cfsr: DIVBYZERO },
  { kind: 3, name: 'unaligned LDM', handler: 'UsageFault_Handler', exception: 6, cfsr: UNALIGNED },
  { kind: 4, name: 'load from an unmapped address', handler: 'BusFault_Handler', exception: 5, cfsr: PRECISERR | BFARVALID },
  { kind: 5, name: 'FPU instruction with CPACR off', handler: 'UsageFault_Handler', exception: 6, cfsr: NOCP },
];
const parts = ['stm32f103', 'stm32f407', 'stm32h743'];
/** The same program and checks on QEMU's MPS2 machines with the same cores: the reference. */
const machines = [
  { machine: 'mps2-an385', core: 'Cortex-M3' },
  { machine: 'mps2-an386', core: 'Cortex-M4F' },
  { machine: 'mps2-an500', core: 'Cortex-M7F' },
];

async function readWord(gdb: GdbDriver, address: number): Promise<number> {
  const out = await gdb.run(`x/wx 0x${address.toString(16)}`);
  const m = /:\s+0x([0-9a-f]{8})/.exec(out);
  assert.ok(m, out);
  return Number.parseInt(m[1], 16);
}

async function register(gdb: GdbDriver, name: string): Promise<number> {
  const regs = await gdb.run('info registers');
  const m = new RegExp(`^${name}\\s+0x([0-9a-f]+)`, 'm').exec(regs);
  assert.ok(m, regs);
  return Number.parseInt(m[1], 16);
}

type Fault = (typeof faults)[number];

/**
 * From a stop at `main`: selects the fault, lets it happen, and checks what GDB shows: the stop
 * in the handler, the exception number in xPSR, the stacked PC at the faulting instruction, and
 * CFSR, HFSR and BFAR.
 */
async function expectFault(gdb: GdbDriver, image: ElfImage, fault: Fault, escalate: boolean, where: string): Promise<void> {
  const what = `${where}, ${fault.name}${escalate ? ', escalated' : ''}`;
  await gdb.run(`set var fault_kind = ${fault.kind}`);
  await gdb.run(`set var fault_escalate = ${escalate ? 1 : 0}`);
  // Write-one-to-clear whatever a previous fault left (a system reset clears them too).
  await gdb.run(`set *(unsigned int *)0x${CFSR.toString(16)} = 0xffffffff`);
  await gdb.run(`set *(unsigned int *)0x${HFSR.toString(16)} = 0xffffffff`);
  await gdb.run('delete');
  for (const h of ['HardFault_Handler', 'MemManage_Handler', 'BusFault_Handler', 'UsageFault_Handler', 'Default_Handler']) {
    await gdb.run(`break ${h}`);
  }
  const handler = escalate ? 'HardFault_Handler' : fault.handler;
  const stop = await gdb.run('continue', 30_000);
  assert.match(stop, new RegExp(`Breakpoint \\d+, ${handler} \\(\\)`), `${what}: the handler\n${stop}`);
  const xpsr = await register(gdb, 'xpsr');
  assert.equal(xpsr & 0x1ff, escalate ? 3 : fault.exception, `${what}: the exception number in xPSR`);
  const sp = await register(gdb, 'sp');
  const stackedPc = await readWord(gdb, sp + 24);
  assert.equal(stackedPc, symbol(image, `fault_insn_${fault.kind}`) & ~1, `${what}: the stacked PC is the faulting instruction`);
  const cfsr = await readWord(gdb, CFSR);
  assert.equal(cfsr.toString(16), fault.cfsr.toString(16), `${what}: CFSR`);
  assert.equal((await readWord(gdb, HFSR)).toString(16), (escalate ? FORCED : 0).toString(16), `${what}: HFSR`);
  if (fault.cfsr & BFARVALID) assert.equal(await readWord(gdb, BFAR), BUS_ADDRESS, `${what}: BFAR`);
}

/** QEMU's MPS2 machine, halted at reset with its gdbstub on a free loopback port. */
async function startQemu(machine: string, elf: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const qemu = spawn('qemu-system-arm', ['-M', machine, '-nographic', '-monitor', 'none', '-serial', 'none',
    '-kernel', elf, '-gdb', `tcp:127.0.0.1:${port}`, '-S'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    async stop() {
      qemu.kill('SIGKILL');
      await exited;
    },
  };
}

describe('faults in GDB as silicon shows them (bmp-gdbserver --sim, gdb-multiarch)', function () {
  this.timeout(120_000);
  before(function () {
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
  });

  for (const part of parts) {
    it(`${part}: UNDEFINSTR, DIVBYZERO, UNALIGNED, PRECISERR with BFAR, NOCP in their handlers, then escalated to HardFault (FORCED)`, async () => {
      const elf = fixturePath(`faults-${part}`);
      const image = loadFixture(`faults-${part}`);
      const server = await startSimCli(part, ['--image', elf]);
      const gdb = new GdbDriver(elf);
      try {
        assert.match(await gdb.connect(server.port), /Remote debugging using/);
        assert.match(await gdb.run('attach 1'), /Attaching to program/);
        for (const escalate of [false, true]) {
          for (const fault of faults) {
            await gdb.run('delete');
            await gdb.run('break main');
            assert.match(await gdb.run('run', 30_000), /Breakpoint \d+, main \(\)/, `${part}: ${fault.name}`);
            await expectFault(gdb, image, fault, escalate, part);
          }
        }
      } finally {
        await gdb.quit();
        await server.close();
      }
    });
  }

  for (const { machine, core } of machines) {
    it(`the same checks hold on QEMU ${machine} (${core}), through its gdbstub`, async () => {
      const elf = fixturePath(`faults-${machine}`);
      const image = loadFixture(`faults-${machine}`);
      for (const escalate of [false, true]) {
        for (const fault of faults) {
          const qemu = await startQemu(machine, elf);
          const gdb = new GdbDriver(elf);
          try {
            await gdb.run('set confirm off');
            assert.match(await gdb.run(`target remote 127.0.0.1:${qemu.port}`), /Remote debugging using/);
            await gdb.run('break main');
            assert.match(await gdb.run('continue', 30_000), /Breakpoint \d+, main \(\)/);
            await expectFault(gdb, image, fault, escalate, `QEMU ${machine}`);
          } finally {
            await gdb.quit();
            await qemu.stop();
          }
        }
      }
    });
  }
});
