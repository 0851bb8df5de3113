/** A raw RSP client for tests: framing, acknowledgements by hand, everything the server sends. */
import net from 'node:net';

export function frame(payload: string): string {
  let sum = 0;
  for (const b of Buffer.from(payload, 'latin1')) sum = (sum + b) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** A raw RSP client: collects everything the server sends. */
export class RawClient {
  received = '';
  closed = false;
  constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => (this.received += d.toString('latin1')));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  send(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }
  /** Waits until `pattern` appears in what arrived after `from`. */
  async expect(pattern: RegExp, from = 0, timeout = 5000): Promise<string> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const text = this.received.slice(from);
      if (pattern.test(text)) return text;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no ${pattern} in ${JSON.stringify(this.received.slice(from))}`);
  }
  /** Sends a packet and waits for its framed reply. */
  async request(payload: string): Promise<string> {
    const from = this.received.length;
    this.send(frame(payload));
    // The reply, skipping console output (O packets) that a monitor command sends first.
    const reply = /\$((?!O[0-9a-f])[^#]*)#[0-9a-f]{2}/;
    const text = await this.expect(reply, from);
    return reply.exec(text)![1];
  }
  close(): void {
    this.socket.destroy();
  }
}

