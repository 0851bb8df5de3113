/**
 * Whole programs, QEMU against the simulator: the workload (test/fixtures/firmware/workload.c),
 * built for each part's own core, runs under QEMU's MPS2 machine with that core (from the same
 * source, linked for the machine's memory map) and under `bmp-gdbserver --sim <part>` driven by
 * gdb-multiarch. The semihosting output and the results area in RAM must be the same.
 *
 * QEMU runs with -singlestep (one instruction per translation block): without it, QEMU 7.2's
 * mps2-an386 resumes after the workload's trapped UDIV (DIVBYZERO, skipped by the handler) with
 * the result of the check that follows wrong (R_FAULT_COUNT 0x1004 instead of 0x1104), which
 * neither the architecture nor QEMU's own single-stepped run does.
 *
 * Memory maps: the parts' own (test/fixtures/firmware/<part>.ld); QEMU's MPS2 machines put code
 * in SSRAM1 at 0x00000000 (where the vector table is read at reset) and data in SSRAM2/3 at
 * 0x20000000 (qemu-mps2.ld). The results area is the first 128 bytes of RAM in both.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';

import { fixturePath, loadFixture, symbol } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';
import { startSimCli } from './helpers/sim-cli.js';

const cases = [
  { part: 'stm32f103', core: 'Cortex-M3', machine: 'mps2-an385', build: 'mps2-an385' },
  { part: 'stm32f407', core: 'Cortex-M4F (FPv4-SP)', machine: 'mps2-an386', build: 'mps2-an386' },
  { part: 'stm32h743', core: 'Cortex-M7F (FPv5, double precision)', machine: 'mps2-an500', build: 'mps2-an500' },
  { part: 'stm32h750', core: 'Cortex-M7F (FPv5, double precision)', machine: 'mps2-an500', build: 'mps2-an500' },
  { part: 'stm32f723', core: 'Cortex-M7F (FPv5, single precision)', machine: 'mps2-an500', build: 'mps2-an500-sp' },
];
const RESULT_WORDS = 32;
/** The lines the workload prints; anything else in GDB's transcript is GDB's own. */
const programLine = /^(workload|integer|float|faults|interrupts|results):/;

function haveQemu(): boolean {
  return spawnSync('qemu-system-arm', ['--version']).status === 0;
}

/** Runs the workload under QEMU to its exit; resolves with what it printed (semihosting). */
function runQemu(machine: string, elf: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const qemu = spawn('qemu-system-arm', ['-M', machine, '-singlestep', '-nographic', '-monitor', 'none', '-serial', 'none',
      '-semihosting-config', 'enable=on,target=native', '-kernel', elf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    qemu.stdout.on('data', (d: Buffer) => (out += d.toString()));
    qemu.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => qemu.kill('SIGKILL'), 30_000);
    qemu.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function programLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => programLine.test(l));
}

function resultsFromLine(lines: string[]): number[] {
  const line = lines.find((l) => l.startsWith('results:'));
  assert.ok(line, `no results line in ${lines.join('\n')}`);
  return line.slice('results:'.length).trim().split(/\s+/).map((w) => Number.parseInt(w, 16));
}

function checkComplete(words: number[], where: string): void {
  assert.equal(words.length, RESULT_WORDS, where);
  assert.equal(words[0], 0x574b4c44, `${where}: the program started`);
  assert.equal(words[31], 0x444f4e45, `${where}: the program completed`);
}

describe('whole programs: QEMU and the simulator give the same output and results', function () {
  this.timeout(120_000);
  before(function () {
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
    if (!haveQemu()) throw new Error('qemu-system-arm is missing: run scripts/install-test-deps.sh');
  });

  for (const { part, core, machine, build } of cases) {
    it(`${part} (${core}) against QEMU ${machine}: semihosting output (printf %f) and the results area`, async () => {
      const qemu = await runQemu(machine, fixturePath(`workload-${build}`));
      assert.equal(qemu.code, 0, `QEMU exit status (SYS_EXIT):\n${qemu.out}`);
      const expected = programLines(qemu.out);
      assert.equal(expected.length, 6, qemu.out);
      const reference = resultsFromLine(expected);
      checkComplete(reference, 'QEMU');
      // The program checked itself too: nested interrupts in the order of their priorities,
      // FP registers intact across them, and the UsageFault handler saw each CFSR bit.
      assert.equal(reference[21], 0x00654321, 'QEMU: interrupt order');
      assert.equal(reference[24], 0x54321827, 'QEMU: BASEPRI order');
      assert.deepEqual(reference.slice(16, 19), [0x00010000, 0x02000000, 0x01000000], 'QEMU: UNDEFINSTR, DIVBYZERO, UNALIGNED');

      const elf = fixturePath(`workload-${part}`);
      const results = symbol(loadFixture(`workload-${part}`), 'results');
      const server = await startSimCli(part, ['--image', elf]);
      const gdb = new GdbDriver(elf);
      try {
        assert.match(await gdb.connect(server.port), /Remote debugging using/);
        assert.match(await gdb.run('attach 1'), /Attaching to program/);
        await gdb.run('break workload_done');
        await gdb.run('break Default_Handler'); // any exception the program does not expect
        const run = await gdb.run('run', 60_000);
        assert.match(run, /Breakpoint \d+, (0x[0-9a-f]+ in )?workload_done \(\)/, `${run}\n${await gdb.run('info registers xpsr')}`);
        assert.deepEqual(programLines(run), expected, 'semihosting output, line by line');
        const dump = await gdb.run(`x/${RESULT_WORDS}xw 0x${results.toString(16)}`);
        const words = [...dump.matchAll(/\t0x([0-9a-f]{8})/g)].map((m) => Number.parseInt(m[1], 16));
        checkComplete(words, 'simulator');
        assert.deepEqual(words.map(hex), reference.map(hex), 'the results area in RAM');
        assert.match(await gdb.run('continue', 20_000), /exited normally/, 'exit(0) through SYS_EXIT');
      } finally {
        await gdb.quit();
        await server.close();
      }
    });
  }
});

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
