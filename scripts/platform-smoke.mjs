// Real work with the installed package on whatever platform's Node runs this (the tarball check
// runs it natively, under qemu-aarch64 with the official linux-arm64 Node, and under wine64
// with the official win32-x64 Node):
//   1. the prebuilt addon for this platform loads (node-gyp-build's pick);
//   2. a simulated STM32F407 behind the virtual CMSIS-DAP probe: scan, attach, halt, write and
//      read back 1 KiB of SRAM, read a register; errors raised in C++ (an unknown profile) and on
//      the session thread (a read that bus-faults) arrive as BmpErrors with their codes;
//   3. the GDB server on a loopback port, left for a client on the other side (the Linux
//      checker) to send qSupported to; it stops when the file `<result>.stop` appears.
// Lines go to the result file named by the first argument, never to stdout: under wine a pipe
// as stdout fails (EBADF). The last line is "done" when everything worked, "error: ..." if not.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

const resultFile = process.argv[2];
if (!resultFile) {
  process.stderr.write('usage: node platform-smoke.mjs <result file>\n');
  process.exit(2);
}
writeFileSync(resultFile, '');
const say = (line) => appendFileSync(resultFile, `${line}\n`);
const deadline = Date.now() + 180_000;

try {
  say(`node ${process.version} on ${process.platform}-${process.arch}`);
  const { openProbe, GdbServer, Sim } = await import('bmp-gdbserver');
  const codeOf = async (what) => {
    try {
      await what();
    } catch (error) {
      return error.code;
    }
    return 'no error';
  };
  const unknown = await codeOf(() => new Sim('no-such-part'));
  if (unknown !== 'EPROFILE') throw new Error(`new Sim('no-such-part') gave ${unknown}, not EPROFILE`);
  const probe = await openProbe({ sim: 'stm32f407', link: 'cmsis-dap' });
  try {
    const found = await probe.swdScan();
    if (found.length !== 1 || found[0].core !== 'Cortex-M4') throw new Error(`scan found ${JSON.stringify(found)}`);
    const target = await probe.attach(found[0].index);
    await target.halt();
    const pattern = new Uint8Array(1024).map((_, i) => (i * 13 + 5) & 0xff);
    await target.writeMemory(0x20000400, pattern);
    const back = await target.readMemory(0x20000400, pattern.length);
    if (!back.every((byte, i) => byte === pattern[i])) throw new Error('SRAM did not read back as written');
    const fault = await codeOf(() => target.readMemory(0x60000000, 16));
    if (fault !== 'EBUSFAULT') throw new Error(`a read of unmapped memory gave ${fault}, not EBUSFAULT`);
    const sp = await target.readRegister('sp');
    say(`attached ${await target.partName()}; 1 KiB of SRAM written and read back; sp = 0x${sp.toString(16)}; errors carry EPROFILE, EBUSFAULT`);
    await target.detach();

    const server = new GdbServer({ probe, port: 0 });
    const port = await server.listen();
    say(`listening 127.0.0.1:${port}`);
    while (!existsSync(`${resultFile}.stop`)) {
      if (Date.now() > deadline) throw new Error('no stop file within 180 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await server.close();
  } finally {
    await probe.close();
  }
  say('done');
} catch (error) {
  say(`error: ${error?.code ?? ''} ${error?.stack ?? error}`);
  process.exitCode = 1;
}
