import assert from 'node:assert/strict';

import { openTransport, listProbes, type ProbeBackend } from '../lib/transports/enumerate.js';
import { HidTransport, listHidProbes, nodeHid, type HidDevice } from '../lib/transports/hid.js';
import { BulkTransport, listBulkProbes, nodeUsb, type BulkDevice } from '../lib/transports/usb-bulk.js';
import type { DapTransport, OptionalPackage, PackageImporter, ProbeInfo } from '../lib/transports/types.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How the fake probe treats one request: answer after `delay` ms, or never. */
type Behaviour = { delay: number } | 'drop';

/**
 * A fake CMSIS-DAP probe: it works through its requests one at a time, in arrival order (as real
 * probes do), and answers DAP_Info "packet size" with `reportedPacketSize` and every other command
 * by echoing the request. Like real probes, it holds DAP_QueueCommands packets until a packet with
 * another command arrives and then answers each with a DAP_ExecuteCommands echo, and it never
 * answers DAP_TransferAbort.
 */
class FakeProbe {
  /** Requests as they arrived (without framing). */
  readonly requests: Uint8Array[] = [];
  /** Lengths asked for by each read (bulk) or undefined (HID). */
  readonly readLengths: number[] = [];
  behaviour: (request: Uint8Array, index: number) => Behaviour = () => ({ delay: 0 });
  failNextRead = false;
  failNextWrite = false;
  closed = false;
  /** Most requests ever waiting for their answer at once. */
  maxOutstanding = 0;
  private outstanding = 0;
  private readonly ready: Uint8Array[] = [];
  private readonly held: Uint8Array[] = [];
  private wakeReader: (() => void) | undefined;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly reportedPacketSize: number,
    /** HID answers are whole reports; bulk answers are as long as they need to be. */
    private readonly padTo?: number,
  ) {}

  accept(request: Uint8Array): void {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new Error('fake write failure');
    }
    const index = this.requests.length;
    this.requests.push(request);
    if (request[0] === 0x07) return; // DAP_TransferAbort
    if (request[0] === 0x7e) {
      this.held.push(request);
      return;
    }
    const behaviour = this.behaviour(request, index);
    if (behaviour === 'drop') return;
    for (const queued of this.held.splice(0)) this.schedule(queued, { delay: 0 });
    this.schedule(request, behaviour);
  }

  private schedule(request: Uint8Array, behaviour: { delay: number }): void {
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const response = this.answer(request);
    this.work = this.work.then(async () => {
      if (behaviour.delay > 0) await sleep(behaviour.delay);
      this.outstanding--;
      this.inject(response);
    });
  }

  /** Puts a packet in the host's receive queue, as if the probe had sent it. */
  inject(packet: Uint8Array): void {
    this.ready.push(packet);
    this.wakeReader?.();
  }

  async next(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.failNextRead) {
      this.failNextRead = false;
      throw new Error('fake read failure');
    }
    if (this.ready.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeReader = done;
      });
      this.wakeReader = undefined;
    }
    return this.ready.shift();
  }

  private answer(request: Uint8Array): Uint8Array {
    let response: Uint8Array;
    if (request[0] === 0x00 && request[1] === 0xff) {
      response = Uint8Array.from([0x00, 0x02, this.reportedPacketSize & 0xff, this.reportedPacketSize >> 8]);
    } else if (request[0] === 0x7e) {
      response = Uint8Array.from([0x7f, ...request.subarray(1)]);
    } else {
      response = request.slice();
    }
    if (this.padTo === undefined || response.length >= this.padTo) return response;
    const padded = new Uint8Array(this.padTo);
    padded.set(response);
    return padded;
  }
}

/** node-hid's view of the fake: reports with ID 0 in front; an empty buffer on read timeout. */
class FakeHidDevice implements HidDevice {
  readonly reports: Uint8Array[] = [];

  constructor(readonly probe: FakeProbe) {}

  async write(report: Uint8Array): Promise<number> {
    this.reports.push(report.slice());
    assert.equal(report[0], 0, 'report ID');
    this.probe.accept(report.slice(1));
    return report.length;
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    return (await this.probe.next(timeoutMs)) ?? new Uint8Array(0);
  }

  async close(): Promise<void> {
    this.probe.closed = true;
  }
}

class FakeBulkDevice implements BulkDevice {
  readonly outs: Uint8Array[] = [];

  constructor(
    readonly probe: FakeProbe,
    readonly maxPacketSize: number,
  ) {}

  async transferOut(data: Uint8Array): Promise<void> {
    this.outs.push(data.slice());
    this.probe.accept(data.slice());
  }

  async transferIn(length: number, timeoutMs: number): Promise<Uint8Array | undefined> {
    this.probe.readLengths.push(length);
    const packet = await this.probe.next(timeoutMs);
    if (packet && packet.length > length) throw new Error(`overflow: ${packet.length} > ${length}`);
    return packet;
  }

  async close(): Promise<void> {
    this.probe.closed = true;
  }
}

/** A request with a recognisable payload; the fake echoes it. */
function request(command: number, ...payload: number[]): Uint8Array {
  return Uint8Array.from([command, ...payload]);
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `expected a rejection with ${code}`);
  assert.equal((caught as Error & { code?: string }).code, code, (caught as Error).message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Imports a package that is not installed: the failure import() gives for a missing `name`. */
const notInstalled: PackageImporter = (name) => import(`${name}-not-installed`);

/** Runs `body` with `pkg` imported through `importer`, then with the real import() again. */
async function importingWith<Api>(pkg: OptionalPackage<Api>, importer: PackageImporter, body: () => Promise<void>): Promise<void> {
  pkg.useImporter(importer);
  try {
    await body();
  } finally {
    pkg.useImporter();
  }
}

describe('CMSIS-DAP HID transport (fake device)', () => {
  it('asks the probe for its packet size and frames requests as report ID 0 + a padded report', async () => {
    const probe = new FakeProbe(64, 64);
    const device = new FakeHidDevice(probe);
    const transport = await HidTransport.connect(device);
    assert.equal(transport.packetSize, 64);
    assert.deepEqual([...device.reports[0].subarray(0, 3)], [0x00, 0x00, 0xff]);

    const response = await transport.transfer(request(0x05, 1, 2, 3));
    const report = device.reports[1];
    assert.equal(report.length, 65);
    assert.deepEqual([...report.subarray(0, 5)], [0x00, 0x05, 1, 2, 3]);
    assert.ok(report.subarray(5).every((byte) => byte === 0), 'padding is zeros');
    assert.equal(response.length, 64, 'a response is a whole input report');
    assert.deepEqual([...response.subarray(0, 4)], [0x05, 1, 2, 3]);
    await transport.close();
    assert.ok(probe.closed);
  });

  it('uses a given report size without asking', async () => {
    const probe = new FakeProbe(64, 512);
    const device = new FakeHidDevice(probe);
    const transport = await HidTransport.connect(device, { packetSize: 512 });
    assert.equal(transport.packetSize, 512);
    assert.equal(probe.requests.length, 0);
    await transport.transfer(request(0x02, 0));
    assert.equal(device.reports[0].length, 513);
    await transport.close();
  });

  it('pipelines: many transfers outstanding, each resolved in order with its own response', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index % 3 === 0 ? 5 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 1000 });
    const order: number[] = [];
    const transfers = Array.from({ length: 12 }, (_, i) =>
      transport.transfer(request(0x06, i, 0xa0 + i)).then((response) => {
        order.push(i);
        return response;
      }),
    );
    const responses = await Promise.all(transfers);
    assert.deepEqual(order, [...Array(12).keys()]);
    responses.forEach((response, i) => assert.deepEqual([...response.subarray(0, 3)], [0x06, i, 0xa0 + i]));
    assert.ok(probe.maxOutstanding > 1, `requests overlapped (max ${probe.maxOutstanding} outstanding)`);
    await transport.close();
  });

  it('does not time out DAP_QueueCommands while the batch is open, and takes DAP_ExecuteCommands as their answer', async () => {
    const probe = new FakeProbe(64, 64);
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 20 });
    const queued = [1, 2].map((i) => transport.transfer(request(0x7e, 1, 0x05, i)));
    let settled = false;
    void Promise.allSettled(queued).then(() => (settled = true));
    await sleep(60); // three timeouts: nothing can come back yet, and nothing must fail
    assert.equal(settled, false);
    const last = transport.transfer(request(0x05, 3));
    const responses = await Promise.all([...queued, last]);
    assert.deepEqual(
      responses.map((r) => [...r.subarray(0, 4)]),
      [
        [0x7f, 1, 0x05, 1],
        [0x7f, 1, 0x05, 2],
        [0x05, 3, 0, 0],
      ],
    );
    assert.equal(transport.counters.timeouts, 0);
    await transport.close();
  });

  it('still reads the answer to a command sent before an open DAP_QueueCommands batch', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 10 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 100 });
    const before = transport.transfer(request(0x05, 1));
    const queued = transport.transfer(request(0x7e, 1, 0x05, 2));
    assert.deepEqual([...(await before).subarray(0, 2)], [0x05, 1]);
    const release = transport.transfer(request(0x05, 3));
    assert.deepEqual([...(await queued).subarray(0, 4)], [0x7f, 1, 0x05, 2]);
    assert.deepEqual([...(await release).subarray(0, 2)], [0x05, 3]);
    await transport.close();
  });

  it('sends DAP_TransferAbort at once and expects no answer to it', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 30 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 200 });
    const slow = transport.transfer(request(0x06, 1));
    await sleep(5);
    const abort = await transport.transfer(request(0x07));
    assert.equal(abort.length, 0);
    assert.deepEqual([...probe.requests[1]].slice(0, 1), [0x07]);
    assert.deepEqual([...(await slow).subarray(0, 2)], [0x06, 1]);
    assert.deepEqual([...(await transport.transfer(request(0x06, 2))).subarray(0, 2)], [0x06, 2]);
    assert.equal(transport.counters.timeouts + transport.counters.mismatchDiscarded, 0);
    await transport.close();
  });

  it('times out with ETIMEDOUT, discards the late answer, and stays usable', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 75 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 50 });
    const started = Date.now();
    await rejectsWithCode(transport.transfer(request(0x05, 0xaa)), 'ETIMEDOUT', /did not answer command 0x05 within 50 ms/);
    assert.ok(Date.now() - started >= 45);
    // Same command byte, so only the counting tells the late answer (0xaa) from this one (0xbb).
    const response = await transport.transfer(request(0x05, 0xbb));
    assert.deepEqual([...response.subarray(0, 2)], [0x05, 0xbb]);
    assert.equal(transport.counters.timeouts, 1);
    assert.equal(transport.counters.lateDiscarded, 1);
    await transport.close();
  });

  it('on a timeout abandons every transfer behind it, then resynchronises', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 75 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 50 });
    const settled: string[] = [];
    const first = [1, 2, 3].map((i) =>
      transport.transfer(request(0x05, i)).then(
        () => settled.push(`ok ${i}`),
        (error: Error & { code?: string }) => settled.push(`${error.code} ${i}`),
      ),
    );
    await Promise.all(first);
    assert.deepEqual(settled, ['ETIMEDOUT 1', 'ETIMEDOUT 2', 'ETIMEDOUT 3']);
    const later = await Promise.all([4, 5].map((i) => transport.transfer(request(0x05, i))));
    assert.deepEqual(
      later.map((r) => r[1]),
      [4, 5],
    );
    assert.equal(transport.counters.lateDiscarded, 3);
    await transport.close();
  });

  it('recovers when the probe never answers a request (the drain gives up after one timeout)', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => (index === 0 ? 'drop' : { delay: 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 30 });
    await rejectsWithCode(transport.transfer(request(0x01, 1)), 'ETIMEDOUT');
    const started = Date.now();
    const response = await transport.transfer(request(0x01, 2));
    assert.deepEqual([...response.subarray(0, 2)], [0x01, 2]);
    assert.ok(Date.now() - started >= 20, 'waited for the missing answer before sending');
    assert.equal(probe.requests.length, 2);
    await transport.close();
  });

  it('catches an answer later than the drain window by its command byte', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 110 : 0 });
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 40 });
    await rejectsWithCode(transport.transfer(request(0x05, 1)), 'ETIMEDOUT');
    // The drain gives up at 80 ms (40 ms of silence after the timeout), then the next request goes
    // out; the probe answers the first one at 110 ms, and this one right after.
    const response = await transport.transfer(request(0x06, 2));
    assert.deepEqual([...response.subarray(0, 2)], [0x06, 2]);
    assert.equal(transport.counters.lateDiscarded, 0);
    assert.equal(transport.counters.mismatchDiscarded, 1);
    await transport.close();
  });

  it('drops a stray packet whose command byte does not match', async () => {
    const probe = new FakeProbe(64, 64);
    const transport = new HidTransport(new FakeHidDevice(probe));
    probe.inject(request(0x05, 0xde, 0xad)); // an answer left over from an earlier session
    const response = await transport.transfer(request(0x00, 0x04));
    assert.deepEqual([...response.subarray(0, 2)], [0x00, 0x04]);
    assert.equal(transport.counters.mismatchDiscarded, 1);
    await transport.close();
  });

  it('rejects with EPROBE on a device error, and works again afterwards', async () => {
    const probe = new FakeProbe(64, 64);
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 50 });
    probe.failNextWrite = true;
    await rejectsWithCode(transport.transfer(request(0x02, 1)), 'EPROBE', /writing to the CMSIS-DAP HID probe failed: fake write failure/);
    assert.deepEqual([...(await transport.transfer(request(0x02, 2))).subarray(0, 2)], [0x02, 2]);

    probe.failNextRead = true;
    await rejectsWithCode(transport.transfer(request(0x02, 3)), 'EPROBE', /reading from the CMSIS-DAP HID probe failed: fake read failure/);
    // The request did reach the probe: its answer is owed, and discarded before the next one.
    assert.deepEqual([...(await transport.transfer(request(0x02, 4))).subarray(0, 2)], [0x02, 4]);
    assert.equal(transport.counters.lateDiscarded, 1);
    await transport.close();
  });

  it('checks request sizes and refuses transfers once closed', async () => {
    const probe = new FakeProbe(64, 64);
    probe.behaviour = () => 'drop';
    const transport = new HidTransport(new FakeHidDevice(probe), { timeoutMs: 300 });
    await rejectsWithCode(transport.transfer(new Uint8Array(0)), 'EINVAL');
    await rejectsWithCode(transport.transfer(new Uint8Array(65)), 'ERANGE');
    const pending = transport.transfer(request(0x01, 1));
    await sleep(5);
    await transport.close();
    await rejectsWithCode(pending, 'ECLOSED');
    await rejectsWithCode(transport.transfer(request(0x01, 2)), 'ECLOSED');
  });

  it('reports a node-hid that cannot be loaded as EPROBE, and tries again on the next call', async () => {
    await importingWith(nodeHid, notInstalled, async () => {
      const error = await rejectsWithCode(listHidProbes(), 'EPROBE', /optional package node-hid, which could not be loaded/);
      assert.match(error.message, /node-hid-not-installed/, 'the import error is in the message');
      assert.match(error.message, /install it with "npm install node-hid"/);
      assert.ok(error.cause instanceof Error, 'the import error is the cause');
      await rejectsWithCode(HidTransport.open('/dev/hidraw99'), 'EPROBE', /node-hid/);
    });
    await importingWith(nodeHid, async () => ({ default: { devices: () => [] } }), async () => {
      await rejectsWithCode(listHidProbes(), 'EPROBE', /no HIDAsync API.*node-hid 3 or later/);
    });
    let attempts = 0;
    const devices = [
      { vendorId: 0x0d28, productId: 0x0204, path: '/dev/hidraw3', product: 'DAPLink CMSIS-DAP', serialNumber: 'D1' },
      { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw4', product: 'USB Keyboard' },
    ];
    const laterInstalled: PackageImporter = async (name) =>
      attempts++ === 0 ? notInstalled(name) : { HIDAsync: { open: async () => undefined }, devicesAsync: async () => devices };
    await importingWith(nodeHid, laterInstalled, async () => {
      await rejectsWithCode(listHidProbes(), 'EPROBE', /node-hid/);
      assert.deepEqual(await listHidProbes(), [
        { kind: 'hid', serial: 'D1', product: 'DAPLink CMSIS-DAP', manufacturer: '', vendorId: 0x0d28, productId: 0x0204, path: '/dev/hidraw3' },
      ]);
      await listHidProbes();
      assert.equal(attempts, 2, 'a failed load is not kept; a good one is');
    });
  });
});

describe('CMSIS-DAP bulk transport (fake device)', () => {
  it('reads with the endpoint size until DAP_Info gives the packet size, then with that', async () => {
    const probe = new FakeProbe(1024);
    const device = new FakeBulkDevice(probe, 512);
    const transport = await BulkTransport.connect(device);
    assert.equal(transport.packetSize, 1024);
    assert.equal(probe.readLengths[0], 512);
    const response = await transport.transfer(request(0x05, 1, 2));
    assert.deepEqual([...response], [0x05, 1, 2], 'bulk answers are not padded');
    assert.deepEqual([...device.outs[1]], [0x05, 1, 2], 'bulk requests are not padded');
    assert.equal(probe.readLengths.at(-1), 1024);
    await transport.close();
    assert.ok(probe.closed);
  });

  it('pads a request that fills whole USB packets but not the DAP packet', async () => {
    const device = new FakeBulkDevice(new FakeProbe(128), 64);
    const transport = await BulkTransport.connect(device);
    const full = new Uint8Array(64).fill(7);
    full[0] = 0x05;
    await transport.transfer(full);
    assert.equal(device.outs.at(-1)?.length, 128);
    await transport.transfer(new Uint8Array(128).fill(5));
    assert.equal(device.outs.at(-1)?.length, 128);
    await transport.close();
  });

  it('pipelines in order', async () => {
    const probe = new FakeProbe(512);
    probe.behaviour = (_request, index) => ({ delay: index % 4 === 1 ? 4 : 0 });
    const transport = new BulkTransport(new FakeBulkDevice(probe, 512));
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => transport.transfer(request(0x06, i))));
    assert.deepEqual(
      responses.map((r) => r[1]),
      [...Array(10).keys()],
    );
    assert.ok(probe.maxOutstanding > 1);
    await transport.close();
  });

  it('times out with ETIMEDOUT and does not hand the late answer to the next transfer', async () => {
    const probe = new FakeProbe(512);
    probe.behaviour = (_request, index) => ({ delay: index === 0 ? 75 : 0 });
    const transport = new BulkTransport(new FakeBulkDevice(probe, 512), { timeoutMs: 50 });
    await rejectsWithCode(transport.transfer(request(0x05, 1)), 'ETIMEDOUT');
    assert.deepEqual([...(await transport.transfer(request(0x05, 2)))], [0x05, 2]);
    assert.equal(transport.counters.lateDiscarded, 1);
    await transport.close();
  });

  it('skips zero-length packets', async () => {
    const probe = new FakeProbe(512);
    const transport = new BulkTransport(new FakeBulkDevice(probe, 512));
    probe.inject(new Uint8Array(0));
    assert.deepEqual([...(await transport.transfer(request(0x03)))], [0x03]);
    await transport.close();
  });

  it('rejects with EPROBE on a device error', async () => {
    const probe = new FakeProbe(512);
    const transport = new BulkTransport(new FakeBulkDevice(probe, 512), { timeoutMs: 50 });
    probe.failNextRead = true;
    await rejectsWithCode(transport.transfer(request(0x02, 1)), 'EPROBE', /fake read failure/);
    assert.deepEqual([...(await transport.transfer(request(0x02, 2)))], [0x02, 2]);
    await transport.close();
  });

  it('reports a usb package that cannot be loaded as EPROBE, and tries again on the next call', async () => {
    const info: ProbeInfo = { kind: 'bulk', serial: 'B1', product: 'CMSIS-DAP', manufacturer: '', vendorId: 1, productId: 2, path: '1-2' };
    await importingWith(nodeUsb, notInstalled, async () => {
      const error = await rejectsWithCode(listBulkProbes(), 'EPROBE', /optional package usb, which could not be loaded/);
      assert.match(error.message, /usb-not-installed/);
      assert.match(error.message, /install it with "npm install usb@2"/);
      await rejectsWithCode(BulkTransport.open(info), 'EPROBE', /optional package usb/);
    });
    await importingWith(nodeUsb, async () => ({ default: { usb: {} } }), async () => {
      await rejectsWithCode(listBulkProbes(), 'EPROBE', /no getDeviceList \(usb 3 dropped that API\)/);
    });
    let attempts = 0;
    const laterInstalled: PackageImporter = async (name) => (attempts++ === 0 ? notInstalled(name) : { getDeviceList: () => [] });
    await importingWith(nodeUsb, laterInstalled, async () => {
      await rejectsWithCode(listBulkProbes(), 'EPROBE', /usb/);
      assert.deepEqual(await listBulkProbes(), []);
      await rejectsWithCode(BulkTransport.open(info), 'EPROBE', /B1 is no longer connected/);
      assert.equal(attempts, 2);
    });
  });
});

describe('probe enumeration (fake backends)', () => {
  function probe(kind: ProbeInfo['kind'], serial: string, path = `${kind}-${serial}`): ProbeInfo {
    return { kind, serial, product: `Fake CMSIS-DAP ${kind}`, manufacturer: 'Test', vendorId: 0x0d28, productId: 0x0204, path };
  }

  /** A transport that only says which probe it was opened for. */
  function fakeTransport(info: ProbeInfo): DapTransport & { info: ProbeInfo } {
    return { info, packetSize: 64, transfer: async (r) => r, close: async () => undefined };
  }

  function backend(kind: ProbeInfo['kind'], probes: ProbeInfo[], options: { failOpen?: boolean; problems?: string[] } = {}) {
    const opened: ProbeInfo[] = [];
    const result: ProbeBackend & { opened: ProbeInfo[] } = {
      kind,
      opened,
      scan: async () => ({ probes, problems: options.problems ?? [] }),
      open: async (info) => {
        opened.push(info);
        if (options.failOpen) throw Object.assign(new Error(`cannot open ${info.serial} (${kind})`), { code: 'EPROBE' });
        return fakeTransport(info);
      },
    };
    return result;
  }

  function missing(name: string): ProbeBackend {
    return {
      kind: 'hid',
      scan: async () => {
        throw new Error(`${name} could not be loaded`);
      },
      open: async () => {
        throw new Error('unreachable');
      },
    };
  }

  it('throws ENOPROBE when nothing is connected, saying what could not be looked at', async () => {
    const backends = [backend('bulk', [], { problems: ['USB device 1234:5678 cannot be opened'] }), missing('node-hid')];
    await rejectsWithCode(
      openTransport(undefined, { backends }),
      'ENOPROBE',
      /^no CMSIS-DAP probe found; USB device 1234:5678 cannot be opened; node-hid could not be loaded$/,
    );
    assert.deepEqual(await listProbes({ backends }), []);
  });

  it('with neither node-usb nor node-hid loadable, listProbes throws EPROBE and openTransport ENOPROBE, saying why', async () => {
    await importingWith(nodeUsb, notInstalled, () =>
      importingWith(nodeHid, notInstalled, async () => {
        await rejectsWithCode(listProbes(), 'EPROBE', /^cannot look for CMSIS-DAP probes: .*optional package usb.*; .*optional package node-hid/);
        await rejectsWithCode(openTransport(), 'ENOPROBE', /^no CMSIS-DAP probe found; .*usb-not-installed.*; .*node-hid-not-installed/);
      }),
    );
  });

  it('listProbes throws EPROBE only when no backend can look at all', async () => {
    await rejectsWithCode(listProbes({ backends: [missing('usb'), missing('node-hid')] }), 'EPROBE', /usb could not be loaded; node-hid/);
    const found = await listProbes({ backends: [missing('usb'), backend('hid', [probe('hid', 'H1')])] });
    assert.deepEqual(
      found.map((p) => p.serial),
      ['H1'],
    );
  });

  it('throws EAMBIGUOUS when several probes are connected and no serial is given', async () => {
    const backends = [backend('bulk', [probe('bulk', 'B2')]), backend('hid', [probe('hid', 'A1'), probe('hid', 'B2')])];
    const error = await rejectsWithCode(openTransport(undefined, { backends }), 'EAMBIGUOUS', /2 CMSIS-DAP probes found/);
    assert.match(error.message, /A1 \(Fake CMSIS-DAP hid, hid\)/);
    assert.match(error.message, /B2 \(Fake CMSIS-DAP bulk, bulk\+hid\)/);
  });

  it('throws ENOPROBE listing the serials when the serial is not connected', async () => {
    const backends = [backend('bulk', [probe('bulk', 'B2')]), backend('hid', [probe('hid', 'A1')])];
    const error = await rejectsWithCode(openTransport('C3', { backends }), 'ENOPROBE', /no CMSIS-DAP probe with serial "C3"/);
    assert.match(error.message, /connected: A1 .*, B2 /);
    await rejectsWithCode(openTransport('C3', { backends: [backend('hid', [])] }), 'ENOPROBE', /no CMSIS-DAP probe found \(looking for serial "C3"\)/);
  });

  it('prefers the bulk interface of a probe that offers both', async () => {
    const bulk = backend('bulk', [probe('bulk', 'S1')]);
    const hid = backend('hid', [probe('hid', 'S1'), probe('hid', 'S2')]);
    const listed = await listProbes({ backends: [hid, bulk] });
    assert.deepEqual(
      listed.map((p) => `${p.serial}/${p.kind}`),
      ['S1/bulk', 'S1/hid', 'S2/hid'],
    );
    const transport = (await openTransport('S1', { backends: [hid, bulk] })) as ReturnType<typeof fakeTransport>;
    assert.equal(transport.info.kind, 'bulk');
    assert.equal(hid.opened.length, 0);
    const other = (await openTransport('S2', { backends: [hid, bulk] })) as ReturnType<typeof fakeTransport>;
    assert.equal(other.info.kind, 'hid');
  });

  it('opens the only probe without a serial, falling back to HID when bulk cannot be opened', async () => {
    const bulk = backend('bulk', [probe('bulk', 'S1')], { failOpen: true });
    const hid = backend('hid', [probe('hid', 'S1')]);
    const transport = (await openTransport(undefined, { backends: [bulk, hid] })) as ReturnType<typeof fakeTransport>;
    assert.equal(transport.info.kind, 'hid');
    assert.equal(bulk.opened.length, 1);

    const failing = [bulk, backend('hid', [probe('hid', 'S1')], { failOpen: true })];
    await rejectsWithCode(openTransport('S1', { backends: failing }), 'EPROBE', /cannot open S1 \(bulk\); cannot open S1 \(hid\)/);
  });
});
