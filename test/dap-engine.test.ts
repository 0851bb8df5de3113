import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { DapEngine } from '../lib/dap-engine.js';
import { DAP_TCP_REQUEST, encodeDapTcpFrame } from '../lib/dap-server.js';
import { native } from '../lib/native.js';
import { Sim } from '../lib/sim.js';

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** The packets a host sends to connect over SWD and power up the debug domain. */
const connectPackets = [
  [0x02, 0x01], // DAP_Connect SWD
  [0x12, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // line reset
  [0x12, 16, 0x9e, 0xe7], // JTAG-to-SWD
  [0x12, 64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // line reset (60 ones), 4 idle cycles
  [0x05, 0, 1, 0x02], // read DPIDR
  [0x05, 0, 2, 0x00, 0x1e, 0, 0, 0, 0x04, 0, 0, 0, 0x50], // ABORT, CTRL/STAT power-up
  [0x09, 100, 0], // wait 100 µs
];

describe('DapEngine (CMSIS-DAP core over the simulated wire)', () => {
  it('connects to each profile and reads DPIDR like a host would', () => {
    for (const p of Sim.profiles().filter((p) => p.name !== 'stm32h743')) {
      const sim = new Sim(p.name);
      const dap = new DapEngine(sim, { packetSize: 64 });
      const responses = connectPackets.map((packet) => dap.executeSync(Uint8Array.from(packet))[0]);
      const dpidr = responses[4];
      assert.deepEqual([...dpidr.subarray(0, 3)], [0x05, 1, 1]);
      assert.equal(u32(dpidr, 3), p.dpidr >>> 0);
      sim.close();
    }
  });

  it('writes and reads 1 KiB of SRAM with DAP_TransferBlock', () => {
    const sim = new Sim('stm32f407');
    const dap = new DapEngine(sim, { packetSize: 1024 });
    for (const packet of connectPackets) dap.executeSync(Uint8Array.from(packet));
    const setup = Uint8Array.from([0x05, 0, 2, 0x01, 0x12, 0, 0, 0x23, 0x05, 0, 0, 0, 0x20]);
    assert.equal(dap.executeSync(setup)[0][2], 1);
    const block = new Uint8Array(5 + 1016);
    block.set([0x06, 0, 254, 0, 0x0d]);
    for (let i = 5; i < block.length; i++) block[i] = i & 0xff;
    assert.equal(dap.executeSync(block)[0][3], 1);
    assert.deepEqual([...sim.peek(0x20000000, 1016)], [...block.subarray(5)]);
    dap.executeSync(Uint8Array.from([0x05, 0, 1, 0x05, 0, 0, 0, 0x20]));
    const read = dap.executeSync(Uint8Array.from([0x06, 0, 254, 0, 0x0f]))[0];
    assert.equal(read[1] | (read[2] << 8), 254);
    assert.deepEqual([...read.subarray(4)], [...block.subarray(5)]);
    sim.close();
  });

  it('answers DAP_Info with the simulated probe\'s strings, and checks its arguments natively', () => {
    const sim = new Sim('stm32f103');
    const dap = new DapEngine(sim);
    const info = (id: number) => {
      const [r] = dap.executeSync(Uint8Array.from([0x00, id]));
      assert.equal(r[0], 0x00);
      return Buffer.from(r.subarray(2, 2 + r[1])).toString('latin1').replace(/\0$/, '');
    };
    assert.deepEqual([1, 2, 3, 4, 9].map(info), ['bmp-gdbserver', 'bmp-gdbserver CMSIS-DAP', 'SIM00001', '2.1.0', '0.1.0']);
    assert.equal(info(5), '', 'no target vendor');
    // The addon's own checks, behind the TypeScript ones.
    const NativeEngine = native().DapEngine as unknown as new (...args: unknown[]) => { execute(r: unknown): unknown };
    assert.throws(() => new NativeEngine(sim.handle, 64.5, 4), { code: 'ERANGE' });
    assert.throws(() => new NativeEngine(sim.handle, 2048, 4), { code: 'ERANGE' });
    assert.throws(() => new NativeEngine(sim.handle, 64, 0), { code: 'ERANGE' });
    assert.throws(() => new NativeEngine(sim.handle, '64', 4), { code: 'EINVAL' });
    assert.throws(() => new NativeEngine({}, 64, 4), { code: 'EINVAL' });
    assert.throws(() => new NativeEngine(sim.handle, 64, 4).execute([0]), { code: 'EINVAL' });
    sim.close();
  });

  it('answers a malformed packet with 0xFF and validates its options', () => {
    const sim = new Sim('stm32f103');
    const dap = new DapEngine(sim);
    assert.deepEqual([...dap.executeSync(Uint8Array.from([0x05, 0, 3, 0x02]))[0]], [0xff]);
    assert.throws(() => new DapEngine(sim, { packetSize: 32 }), { code: 'ERANGE' });
    sim.close();
    assert.throws(() => dap.executeSync(Uint8Array.from([0x00, 0x02])), { code: 'ECLOSED' });
  });
});

describe('bmp-dap serve (CLI)', () => {
  const cli = fileURLToPath(new URL('../lib/cli/bmp-dap.js', import.meta.url));

  it('serves DAP_Info over TCP on loopback and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--sim', 'stm32f103', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
        setTimeout(() => reject(new Error('no banner')), 10_000).unref();
      });
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(encodeDapTcpFrame(DAP_TCP_REQUEST, Uint8Array.from([0x00, 0x02]))),
        );
        let data = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => {
          data = Buffer.concat([data, d]);
          if (data.length >= 8 && data.length >= 8 + data.readUInt16LE(4)) {
            socket.destroy();
            resolve(data);
          }
        });
        socket.on('error', reject);
      });
      assert.match(reply.subarray(10).toString(), /CMSIS-DAP/);
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a bad argument with exit code 2 and a usage message', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--sim', 'stm32f999'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /unknown profile 'stm32f999'/);
    assert.match(err, /Usage: bmp-dap serve/);
  });
});
