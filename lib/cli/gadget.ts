/** `bmp-gdbserver gadget`: this Linux machine's USB device port as a probe (lib/gadget/). */
import { readFile } from 'node:fs/promises';

import { parseElf } from '../elf.js';
import { UsbGadget } from '../gadget/gadget.js';
import type { SimProfileName } from '../sim.js';
import { onShutdown } from './common.js';

export interface GadgetCommandOptions {
  profile: SimProfileName;
  udc?: string;
  serial?: string;
  image?: string;
  json?: boolean;
  verbose?: boolean;
}

export async function gadgetCommand(options: GadgetCommandOptions): Promise<void> {
  // The gadget says when the USB host comes and goes, verbose or not: that is its state.
  const log = (line: string) => process.stderr.write(`bmp-gdbserver gadget: ${line}\n`);
  const image = options.image ? parseElf(await readFile(options.image)) : undefined;
  const gadget = await UsbGadget.start({
    profile: options.profile,
    udc: options.udc,
    serial: options.serial,
    log,
    prepare: (probe) => {
      if (!image) return;
      for (const segment of image.segments) if (segment.data.length) probe.sim!.load(segment.paddr, segment.data);
      probe.sim!.reset('system');
    },
  });
  onShutdown(async () => {
    const left = await gadget.stop();
    if (left.length) log(`could not remove: ${left.join('; ')}`);
  });
  const { identity } = gadget;
  const id = `${identity.vendorId.toString(16).padStart(4, '0')}:${identity.productId.toString(16).padStart(4, '0')}`;
  if (options.json) {
    process.stdout.write(JSON.stringify({ gadget: { udc: gadget.udc, id, serial: identity.serial, product: identity.product, gdbTty: gadget.ttyPath } }) + '\n');
  } else {
    process.stdout.write(
      `bmp-gdbserver gadget: ${id} "${identity.product}", serial ${identity.serial}, on ${gadget.udc}\n` +
        `  GDB on ${gadget.ttyPath} (the host sees a CDC-ACM port), CMSIS-DAP v1 (HID) and v2 (bulk)\n` +
        '  Ctrl-C removes the gadget\n',
    );
  }
}
