// Loads the addon the way a user would and reads the simulated STM32F103's DPIDR after a real
// SWD connect sequence on the bit-level wire. Used by the tarball and CMake-build checks.
import { Sim } from 'bmp-gdbserver';

const sim = new Sim('stm32f103');
const lineReset = () => {
  sim.wireOut(0xffffffff, 32);
  sim.wireOut(0xffffffff, 28);
};
lineReset();
sim.wireOut(0xe79e, 16); // JTAG-to-SWD select (ADIv5.2 B5.2.1)
lineReset();
sim.wireOut(0, 2); // idle
const { ack, data } = sim.dpRead(false, 0);
sim.close();
if (ack !== 1 || data !== 0x1ba01477) {
  console.error(`unexpected DPIDR read: ack ${ack}, data 0x${(data >>> 0).toString(16)}`);
  process.exit(1);
}
console.log('addon loaded; DPIDR 0x1ba01477');
