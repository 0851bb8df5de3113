/**
 * Back-to-back GDB sessions, as scripts and IDEs run them: each new client connects the moment
 * the previous one is done, often before the server has processed the previous close. None may
 * be refused, and each must reach the target. Also the CMSIS-DAP server's TCP clients.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { DapServer, DAP_TCP_REQUEST, encodeDapTcpFrame } from '../lib/dap-server.js';
import { GdbServer } from '../lib/gdb-server.js';
import { openProbe } from '../lib/target.js';
import { haveGdb } from './helpers/gdb.js';
import { Random } from './helpers/random.js';
import { frame, RawClient } from './helpers/rsp.js';

const PATTERN_BASE = 0x20002000; // 1 KiB of seeded data the fixture-free target never touches
const HANDOFF = 0x20002800; // each session reads what the previous one wrote here

const hex32le = (v: number) => Buffer.from(Uint32Array.of(v >>> 0).buffer).toString('hex');

describe('Back-to-back sessions', function () {
  this.timeout(180_000);

  it('200 raw-client sessions with no pause: none refused, each reads the right memory', async () => {
    const probe = await openProbe({ sim: 'stm32f407' });
    const pattern = new Random('back-to-back raw').bytes(1024);
    probe.sim!.load(PATTERN_BASE, pattern);
    const logs: string[] = [];
    const server = new GdbServer({ probe, port: 0, log: (l) => logs.push(l) });
    const port = await server.listen();
    let idle: RawClient | undefined; // a detached client left connected: the next one displaces it
    try {
      for (let i = 0; i < 200; i++) {
        const c = await RawClient.connect(port);
        assert.match(await c.request('qSupported'), /PacketSize=/, `session ${i}: qSupported`);
        assert.equal(await c.request('!'), 'OK');
        assert.match(await c.request('vAttach;1'), /^T05/, `session ${i}: attach`);
        const at = PATTERN_BASE + 16 * (i % 64);
        const got = await c.request(`m${at.toString(16)},10`);
        assert.equal(got, Buffer.from(pattern.subarray(at - PATTERN_BASE, at - PATTERN_BASE + 16)).toString('hex'), `session ${i}: memory`);
        if (i > 0) assert.equal(await c.request(`m${HANDOFF.toString(16)},4`), hex32le(0xb2b00000 + i - 1), `session ${i}: hand-off word`);
        assert.equal(await c.request(`M${HANDOFF.toString(16)},4:${hex32le(0xb2b00000 + i)}`), 'OK');
        if (idle) {
          assert.ok(idle.closed, `session ${i}: the idle detached client was closed`);
          idle = undefined;
        }
        // Every way a session ends: detach and close, detach and half-close, kill, a plain
        // close while still attached, and a detach that leaves the socket open.
        switch (i % 5) {
          case 0:
            assert.equal(await c.request('D'), 'OK');
            c.close();
            break;
          case 1:
            assert.equal(await c.request('D'), 'OK');
            c.socket.end();
            break;
          case 2:
            c.send(frame('vKill;1'));
            await c.expect(/\$OK#/);
            c.close();
            break;
          case 3:
            c.close();
            break;
          case 4:
            assert.equal(await c.request('D'), 'OK');
            idle = c;
            break;
        }
      }
      assert.ok(!logs.some((l) => /refused/.test(l)), logs.filter((l) => /refused/.test(l)).join('\n'));
      // A client that is really attached still holds the target.
      const holder = await RawClient.connect(port);
      assert.match(await holder.request('vAttach;1'), /^T05/);
      const late = await RawClient.connect(port);
      late.send(frame('qSupported'));
      await late.expect(/E\.another GDB is already attached/);
      assert.match(await holder.request(`m${HANDOFF.toString(16)},4`), /^[0-9a-f]{8}$/);
      holder.close();
      late.close();
    } finally {
      idle?.close();
      await server.close();
      await probe.close();
    }
  });

  it('200 gdb-multiarch -batch sessions in a row against the bmp-gdbserver CLI', async function () {
    if (!haveGdb()) this.skip();
    const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));
    const server = spawn(process.execPath, [cli, '--sim', 'stm32f407', '--port', '0', '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const deadline = Date.now() + 15_000;
      let m: RegExpExecArray | null = null;
      while (!(m = /extended-remote 127\.0\.0\.1:(\d+)/.exec(log)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(m, `the server did not start:\n${log}`);
      const port = m[1];
      const sessions = Number(process.env.BMP_BACK_TO_BACK_GDB ?? 200);
      for (let i = 0; i < sessions; i++) {
        const value = (0x6db00000 + i) >>> 0;
        const out = await gdbBatch([
          `target extended-remote 127.0.0.1:${port}`,
          'attach 1',
          `x/1xw 0x${HANDOFF.toString(16)}`,
          `set *(unsigned int *)0x${HANDOFF.toString(16)} = 0x${value.toString(16)}`,
          'detach',
        ]);
        assert.doesNotMatch(out, /another GDB|Remote communication error|Connection refused/, `session ${i}:\n${out}`);
        const word = /0x20002800:\s+0x([0-9a-f]{8})/.exec(out);
        assert.ok(word, `session ${i} read no memory:\n${out}`);
        if (i > 0) assert.equal(Number.parseInt(word[1], 16), value - 1, `session ${i} read what session ${i - 1} wrote`);
      }
      assert.doesNotMatch(log, /refused/);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('bmp-dap serve: back-to-back TCP clients are served; a second client while one is connected is closed', async () => {
    const engine = {
      packetSize: 64,
      async execute(request: Uint8Array) {
        return [Uint8Array.from([request[0], 0x00])];
      },
    };
    const logs: string[] = [];
    const server = new DapServer({ engine, port: 0, handoverMs: 300, log: (l) => logs.push(l) });
    const port = await server.listen();
    const ask = (socket: net.Socket) =>
      new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve);
        socket.once('close', () => reject(new Error('closed')));
        socket.write(encodeDapTcpFrame(DAP_TCP_REQUEST, Uint8Array.of(0x00, 0x01)));
      });
    const connect = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    try {
      for (let i = 0; i < 200; i++) {
        const s = await connect();
        const reply = await ask(s);
        assert.equal(reply.length, 10, `client ${i}`);
        if (i % 2) s.end();
        else s.destroy();
      }
      const first = await connect();
      await ask(first);
      const second = await connect();
      await assert.rejects(ask(second), /closed/);
      await ask(first); // undisturbed
      first.destroy();
      assert.equal(logs.filter((l) => /refused/.test(l)).length, 1);
    } finally {
      await server.close();
    }
  });
});

/** Runs one gdb-multiarch -batch session; resolves with what it printed. */
function gdbBatch(commands: string[]): Promise<string> {
  return new Promise((resolve) => {
    const args = ['-q', '-nx', '-batch', ...commands.flatMap((c) => ['-ex', c])];
    const gdb = spawn('gdb-multiarch', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    gdb.stdout.on('data', (d: Buffer) => (out += d.toString()));
    gdb.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => gdb.kill('SIGKILL'), 20_000);
    gdb.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
