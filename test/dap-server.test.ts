import assert from 'node:assert/strict';
import net from 'node:net';

import {
  DAP_TCP_REQUEST,
  DAP_TCP_RESPONSE,
  DapServer,
  encodeDapTcpFrame,
  type DapPacketEngine,
} from '../lib/dap-server.js';

/** An engine that answers every packet with its command byte and the packet's length. */
const echoEngine: DapPacketEngine = {
  packetSize: 1024,
  async execute(request) {
    return [Uint8Array.from([request[0], request.length & 0xff, request.length >> 8])];
  },
};

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads `count` response frames, or resolves early with what came if the peer closes. */
function readFrames(socket: net.Socket, count: number): Promise<{ frames: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const frames: Buffer[] = [];
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ frames, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 8 && data.length >= 8 + data.readUInt16LE(4)) {
        const length = data.readUInt16LE(4);
        frames.push(data.subarray(0, 8 + length));
        data = data.subarray(8 + length);
      }
      if (frames.length >= count) finish(false);
    });
    socket.once('close', () => finish(true));
  });
}

describe('DapServer (CMSIS-DAP over TCP framing)', () => {
  let server: DapServer;
  let port: number;
  const logs: string[] = [];

  beforeEach(async () => {
    logs.length = 0;
    server = new DapServer({ engine: echoEngine, port: 0, log: (l) => logs.push(l) });
    port = await server.listen();
  });
  afterEach(() => server.close());

  it('listens on loopback by default and answers with response frames', async () => {
    const socket = await connect(port);
    assert.equal(socket.remoteAddress, '127.0.0.1');
    const reply = readFrames(socket, 2);
    // Two requests in one TCP segment, the second split across writes.
    const a = encodeDapTcpFrame(DAP_TCP_REQUEST, Uint8Array.from([0x00, 0xfe]));
    const b = encodeDapTcpFrame(DAP_TCP_REQUEST, new Uint8Array(300).fill(0x06));
    socket.write(Buffer.concat([a, b.subarray(0, 5)]));
    setTimeout(() => socket.write(b.subarray(5)), 20);
    const { frames } = await reply;
    assert.equal(frames.length, 2);
    for (const f of frames) {
      assert.equal(f.readUInt32LE(0), 0x00504144);
      assert.equal(f[6], DAP_TCP_RESPONSE);
    }
    assert.deepEqual([...frames[0].subarray(8)], [0x00, 2, 0]);
    assert.deepEqual([...frames[1].subarray(8)], [0x06, 300 & 0xff, 300 >> 8]);
    socket.destroy();
  });

  for (const [what, frame] of [
    ['a bad signature', Buffer.from([0x44, 0x41, 0x50, 0x01, 2, 0, 1, 0, 0, 0])],
    ['a response type sent as a request', encodeDapTcpFrame(DAP_TCP_RESPONSE, Uint8Array.from([0, 1]))],
    ['a length over the packet size', encodeDapTcpFrame(DAP_TCP_REQUEST, new Uint8Array(1025))],
    ['a zero length', encodeDapTcpFrame(DAP_TCP_REQUEST, new Uint8Array(0))],
  ] as const) {
    it(`closes a connection that sends ${what}, logs why, and keeps serving`, async () => {
      const bad = await connect(port);
      const result = readFrames(bad, 1);
      bad.write(frame);
      const { frames, closed } = await result;
      assert.equal(frames.length, 0);
      assert.ok(closed, 'the connection was closed');
      assert.ok(logs.some((l) => l.includes('closing')), logs.join('\n'));

      const good = await connect(port);
      const reply = readFrames(good, 1);
      good.write(encodeDapTcpFrame(DAP_TCP_REQUEST, Uint8Array.from([0x00, 0x01])));
      assert.equal((await reply).frames.length, 1);
      good.destroy();
    });
  }

  it('refuses a port out of range', () => {
    assert.throws(() => new DapServer({ engine: echoEngine, port: 70000 }), { code: 'ERANGE' });
  });
});
