/**
 * GdbServer robustness with a raw RSP client: acknowledgements and retransmission, oversized
 * packets and garbage, a second client, a client that vanishes mid-continue; and the CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { GdbServer } from '../lib/gdb-server.js';
import { openProbe, type Probe } from '../lib/target.js';
import { installFixture, loadFixture } from './helpers/fixture.js';
import { runNode } from './helpers/cli.js';
import { frame, RawClient } from './helpers/rsp.js';

/** The text of the console output (O packets) in what a client received. */
function consoleText(received: string): string {
  return [...received.matchAll(/\$O([0-9a-f]+)#[0-9a-f]{2}/g)].map((m) => Buffer.from(m[1], 'hex').toString()).join('');
}

async function serve(usb?: 'hid' | 'bulk'): Promise<{ probe: Probe; server: GdbServer; port: number }> {
  const probe = await openProbe({ sim: 'stm32f103', usb });
  installFixture(probe.sim!, loadFixture('stm32f103'));
  probe.sim!.reset('system');
  await probe.swdScan();
  const server = new GdbServer({ probe, port: 0 });
  return { probe, server, port: await server.listen() };
}

describe('GdbServer with a raw client', () => {
  it('NAKs a bad checksum and accepts the retransmission; retransmits on a NAK', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    c.send('$qSupported#00');
    await c.expect(/^-$/);
    const from = c.received.length;
    c.send(frame('qSupported'));
    const reply = await c.expect(/\+\$PacketSize=4000;[^#]*#[0-9a-f]{2}/, from);
    const framed = /\$[^#]*#[0-9a-f]{2}/.exec(reply)![0];
    const again = c.received.length;
    c.send('-');
    assert.equal(await c.expect(/\$[^#]*#[0-9a-f]{2}/, again), framed);
    c.close();
    await server.close();
    await probe.close();
  });

  it('answers an oversized packet with an error (ack and no-ack mode), survives garbage between packets, and keeps serving', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    const oversized = frame('X20000000,0:' + 'A'.repeat(40000));
    // Acknowledged (a NAK would make GDB resend it forever) and answered with an error.
    assert.match(await c.request(oversized.slice(1, -3)), /^E\.packet of 0x9c4c bytes is longer than the PacketSize of 0x4000$/);
    assert.ok(!c.received.includes('-'), 'no NAK for an intact packet');
    // Corrupted as well as too long: NAKed, so that the client retransmits.
    let from = c.received.length;
    c.send(oversized.slice(0, -2) + '00');
    await c.expect(/^-$/, from);
    c.send('garbage!!\x00\xff  ');
    assert.equal(await c.request('QStartNoAckMode'), 'OK');
    from = c.received.length;
    c.send(oversized);
    await c.expect(/\$E\.packet of 0x9c4c bytes is longer/, from);
    assert.equal(c.received.slice(from).replace(/\$[^#]*#../, ''), '', 'no ack in no-ack mode');
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    assert.equal(await c.request('m20000000,4').then((r) => r.length), 8);
    assert.equal(await c.request('m2000000'), 'E16'); // malformed: no length
    assert.equal(await c.request('Zz'), 'E16');
    assert.equal(await c.request('qNoSuchThing'), '');
    assert.equal(await c.request('vMustReplyEmpty'), '');
    assert.equal(await c.request('vFlashErase:08000000,400'), 'OK');
    assert.match(await c.request('vFlashErase:20000000,400'), /^E\..*not all in the part's flash/);
    assert.equal(await c.request('vFlashW'), '');
    assert.equal(await c.request('Z2,20000000,80000001'), 'E16');
    c.close();
    await server.close();
    await probe.close();
  });

  it('acknowledges again after qSupported in no-ack mode (a new GDB on a serial line, where no disconnect is seen)', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    assert.equal(await c.request('QStartNoAckMode'), 'OK');
    let from = c.received.length;
    assert.equal(await c.request('vMustReplyEmpty'), '');
    assert.ok(!c.received.slice(from).startsWith('+'), 'no ack in no-ack mode');
    from = c.received.length;
    c.send(frame('qSupported:multiprocess+'));
    await c.expect(/^\+\$PacketSize=/, from);
    c.close();
    await server.close();
    await probe.close();
  });

  it('monitor swdp_scan while attached takes software breakpoints out of RAM first', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    assert.equal(await c.request('M20001000,2:3412'), 'OK');
    assert.equal(await c.request('Z0,20001000,2'), 'OK');
    assert.equal(await c.request('m20001000,2'), '00be'); // the BKPT is in RAM
    assert.equal(await c.request('qRcmd,' + Buffer.from('swdp_scan').toString('hex')), 'OK');
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    assert.equal(await c.request('m20001000,2'), '3412');
    c.close();
    await server.close();
    await probe.close();
  });

  it('hands the embedding\'s monitor commands to it and replies once it answers; the core\'s own commands are unchanged', async () => {
    const probe = await openProbe({ sim: 'stm32f103' });
    await probe.swdScan();
    const calls: string[] = [];
    let release: (() => void) | undefined;
    const server = new GdbServer({
      probe,
      port: 0,
      monitorCommands: [
        {
          name: 'python',
          help: 'Evaluate a Python expression in the script',
          run: async (args) => {
            calls.push(args);
            if (args === 'fail') return { output: 'ValueError: bad\n', ok: false };
            if (args === 'slow') await new Promise<void>((resolve) => (release = resolve));
            return { output: `got ${args}\n`, ok: true };
          },
        },
      ],
    });
    const port = await server.listen();
    const c = await RawClient.connect(port);
    const monitor = async (command: string) => {
      const from = c.received.length;
      const reply = await c.request('qRcmd,' + Buffer.from(command).toString('hex'));
      return { reply, console: consoleText(c.received.slice(from)) };
    };
    assert.match((await monitor('help')).console, /\tversion -- [^\n]*\n[^]*\tpython -- Evaluate a Python expression in the script\n$/);
    assert.deepEqual(await monitor('py 1 + 1'), { reply: 'OK', console: 'got 1 + 1\n' });
    assert.deepEqual(await monitor('python fail'), { reply: 'E01', console: 'ValueError: bad\n' });
    assert.deepEqual(await monitor('version'), { reply: 'OK', console: 'bmp-gdbserver 0.1.0, a GDB server for Arm Cortex-M (Black Magic Probe compatible)\n' });
    assert.equal((await monitor('pythonx')).reply, 'E01');

    // GDB waits while the command runs, however long.
    const from = c.received.length;
    c.send(frame('qRcmd,' + Buffer.from('python slow').toString('hex')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(c.received.slice(from), '+', 'acknowledged, not answered yet');
    release!();
    await c.expect(/\$OK#/, from);
    assert.equal(consoleText(c.received.slice(from)), 'got slow\n');

    // A GDB that goes away while its command runs: the late answer is dropped, the next GDB is served.
    c.send(frame('qRcmd,' + Buffer.from('python slow').toString('hex')));
    await c.expect(/^\+$/, c.received.length - 0);
    c.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    release!();
    const d = await RawClient.connect(port);
    assert.equal(await d.request('qRcmd,' + Buffer.from('python again').toString('hex')), 'OK');
    assert.ok(!d.received.includes('got slow'), d.received);
    assert.deepEqual(calls, ['1 + 1', 'fail', 'slow', 'slow', 'again']);
    d.close();
    await server.close();

    // Without them, the name is unknown as before.
    const plain = new GdbServer({ probe, port: 0 });
    const e = await RawClient.connect(await plain.listen());
    const fromE = e.received.length;
    assert.equal(await e.request('qRcmd,' + Buffer.from('python 1').toString('hex')), 'E01');
    assert.equal(consoleText(e.received.slice(fromE)), 'Unknown command; `monitor help` lists them.\n');
    e.close();
    await plain.close();
    await probe.close();
  });

  it('semihosting gives the program the command line and heap information the embedding set', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    const le = (v: number) => Buffer.from(Uint32Array.of(v).buffer).toString('hex');
    const word = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE(0);
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    // At 0x20000400: BKPT 0xAB, then a branch to itself.
    assert.equal(await c.request('M20000400,4:abbefee7'), 'OK');
    /** Runs one semihosting call (operation, parameter) and stops the core after it; resolves with r0. */
    const call = async (op: number, param: number) => {
      assert.equal(await c.request(`P0=${le(op)}`), 'OK');
      assert.equal(await c.request(`P1=${le(param)}`), 'OK');
      assert.equal(await c.request(`Pf=${le(0x20000400)}`), 'OK');
      const from = c.received.length;
      c.send(frame('c'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      c.send('\x03');
      await c.expect(/\$T02/, from);
      assert.equal(word(await c.request('pf')), 0x20000402, 'past the BKPT, spinning');
      return word(await c.request('p0'));
    };
    await server.setSemihosting({ cmdline: 'firmware.elf --fast 3', heapInfo: [0x20001000, 0x20008000, 0x2001c000, 0x20018000] });
    // SYS_GET_CMDLINE: { buffer, its size } at 0x20000500
    assert.equal(await c.request(`M20000500,8:${le(0x20000600)}${le(64)}`), 'OK');
    assert.equal(await call(0x15, 0x20000500), 0);
    assert.equal(word(await c.request('m20000504,4')), 21);
    assert.equal(Buffer.from(await c.request('m20000600,16'), 'hex').toString('latin1'), 'firmware.elf --fast 3\0'); // 0x16 bytes
    // A buffer too small for it: -1
    assert.equal(await c.request(`M20000500,8:${le(0x20000600)}${le(21)}`), 'OK');
    assert.equal(await call(0x15, 0x20000500), 0xffffffff);
    // SYS_HEAPINFO: a pointer to four words
    assert.equal(await c.request(`M20000510,4:${le(0x20000520)}`), 'OK');
    assert.equal(await call(0x16, 0x20000510), 0);
    assert.equal(await c.request('m20000520,10'), [0x20001000, 0x20008000, 0x2001c000, 0x20018000].map(le).join(''));
    c.close();
    await server.close();
    await probe.close();
  });

  it('qCRC of a long range (computed by the target) and of a short one (read back) match GDB\'s CRC-32; the target is left as it was', async () => {
    const crc32 = (data: Uint8Array) => {
      let crc = 0xffffffff;
      for (const byte of data) {
        crc ^= byte << 24;
        for (let b = 0; b < 8; b++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
      }
      return crc >>> 0;
    };
    const { probe, server, port } = await serve('hid');
    const c = await RawClient.connect(port);
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    const data = new Uint8Array(16384).map((_, i) => (i * 7 + 3) & 0xff);
    probe.sim!.load(0x20000800, data);
    const low = probe.sim!.peek(0x20000000, 1024);
    const regs = await c.request('g');
    const before = await probe.packets();
    assert.equal(await c.request('qCRC:20000800,4000'), 'C' + crc32(data).toString(16).padStart(8, '0'));
    // Reading 16 KiB back over full-speed HID would take about 290 packets: the target did it.
    assert.ok((await probe.packets()) - before < 150, `${(await probe.packets()) - before} packets`);
    assert.equal(await c.request('qCRC:20000800,10'), 'C' + crc32(data.subarray(0, 16)).toString(16).padStart(8, '0'));
    assert.deepEqual(probe.sim!.peek(0x20000000, 1024), low, 'the RAM the routine borrowed is restored');
    assert.equal(await c.request('g'), regs, 'the registers are restored');
    c.close();
    await server.close();
    await probe.close();
  });

  it('a port already in use gives EADDRINUSE naming the port, from the API and from the CLI', async () => {
    const { probe, server, port } = await serve();
    const other = new GdbServer({ probe, port });
    await assert.rejects(other.listen(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EADDRINUSE');
      assert.match(e.message, new RegExp(`port ${port} is already in use`));
      return true;
    });
    const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));
    const child = spawn(process.execPath, [cli, '--sim', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`port ${port} is already in use.*\\[EADDRINUSE\\]`));
    await server.close();
    await probe.close();
  });

  it('refuses a second client clearly and leaves the first undisturbed', async () => {
    const { probe, server, port } = await serve();
    const first = await RawClient.connect(port);
    assert.equal(await first.request('vAttach;1'), 'T05thread:1;');
    const second = await RawClient.connect(port);
    second.send(frame('qSupported'));
    await second.expect(/E\.another GDB is already attached to this target \(from 127\.0\.0\.1:\d+\)/);
    const deadline = Date.now() + 3000;
    while (!second.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(second.closed, 'the second connection is closed');
    assert.equal((await first.request('m20000000,4')).length, 8);
    first.close();
    await server.close();
    await probe.close();
  });

  it('a client that disconnects in the middle of continue leaves the server serving', async () => {
    const { probe, server, port } = await serve();
    const first = await RawClient.connect(port);
    assert.equal(await first.request('vAttach;1'), 'T05thread:1;');
    first.send(frame('vCont;c'));
    await new Promise((r) => setTimeout(r, 50));
    first.close();
    await new Promise((r) => setTimeout(r, 100));
    const second = await RawClient.connect(port);
    assert.equal(await second.request('vAttach;1'), 'T05thread:1;');
    const counter = async () => Buffer.from(await second.request('m20000028,4'), 'hex').readUInt32LE(0);
    const before = await counter();
    assert.match(await second.request('vCont;s'), /^T05/);
    second.send(frame('vCont;c'));
    await new Promise((r) => setTimeout(r, 100));
    const from = second.received.length;
    second.send('\x03');
    await second.expect(/\$T02thread:1;#/, from);
    assert.ok((await counter()) > before, 'the target ran');
    second.close();
    await server.close();
    await probe.close();
  });

  it('a core that locks up stops with SIGSEGV and is halted, so GDB can read its registers', async () => {
    const { probe, server, port } = await serve();
    const c = await RawClient.connect(port);
    assert.equal(await c.request('vAttach;1'), 'T05thread:1;');
    // An undefined instruction (UDF) executed in the HardFault handler: a fault at priority -1
    // locks the core up (ARMv7-M B1.5.15).
    const le = (v: number) => Buffer.from(Uint32Array.of(v).buffer).toString('hex');
    assert.equal(await c.request('M20000100,2:00de'), 'OK');
    assert.equal(await c.request(`P19=${le(0x01000003)}`), 'OK'); // xPSR (regnum 25): Thumb, IPSR = 3 (HardFault)
    assert.equal(await c.request(`Pf=${le(0x20000100)}`), 'OK');
    assert.equal(await c.request('vCont;c'), 'T0bthread:1;');
    const registers = await c.request('g');
    assert.match(registers, /^[0-9a-f]{136}/, 'the registers read after the lockup');
    const pc = Buffer.from(registers.slice(15 * 8, 16 * 8), 'hex').readUInt32LE(0);
    assert.equal(pc >>> 0, 0xfffffffe, 'the PC shows the lockup address');
    c.close();
    await server.close();
    await probe.close();
  });
});

describe('bmp-gdbserver CLI', function () {
  this.timeout(20_000); // each case starts Node processes: seconds on a loaded two-core machine
  const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));

  const runCli = (args: string[], until?: RegExp) => runNode(cli, args, until);

  it('starts on the simulated target, prints the target and the gdb command, and stops cleanly on SIGTERM', async () => {
    const r = await runCli(['--sim', '--port', '0'], /gdb-multiarch -ex "target extended-remote 127\.0\.0\.1:\d+"/);
    assert.match(r.out, /simulated stm32f407/);
    assert.match(r.out, /target 1: STM32F40x\/41x \(Cortex-M4\)/);
    assert.match(r.out, /SIGTERM: shutting down/);
    assert.equal(r.code, 0);
  });

  it('flash programs a HEX file and verifies it; a binary without --base is refused with EIMAGE', async () => {
    const hex = fileURLToPath(new URL('../../test/fixtures/firmware/build/stm32f103.hex', import.meta.url));
    const ok = await runCli(['flash', hex, '--sim', 'stm32f103', '--reset']);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Programming .*stm32f103\.hex into STM32F1/);
    assert.match(ok.out, /Programmed 456 bytes and verified them/);
    assert.match(ok.out, /Target reset and running/);
    const bin = await runCli(['flash', hex.replace(/\.hex$/, '.bin'), '--sim', 'stm32f103']);
    assert.equal(bin.code, 1);
    assert.match(bin.out, /needs a base address.*\[EIMAGE\]/);
  });

  it('rejects bad arguments with a clear message and exit code 2', async () => {
    const bad = await runCli(['--sim', 'stm32f999']);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /unknown profile 'stm32f999'/);
    const port = await runCli(['--sim', '--port', 'http']);
    assert.equal(port.code, 2);
    assert.match(port.out, /--port must be/);
    const list = await runCli(['--list', '--json']);
    assert.equal(list.code, 0);
    assert.deepEqual(JSON.parse(list.out).simulated.map((s: { profile: string }) => s.profile), ['stm32f103', 'stm32f407', 'stm32h743', 'stm32f723', 'stm32h750', 'stm32g071', 'stm32l476', 'nrf52840', 'rp2040', 'stm32f072', 'stm32f303', 'stm32f411', 'stm32f429', 'stm32g431']);
  });
});
