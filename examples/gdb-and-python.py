# The GDB server with a way back into the script, as on the original probe:
#
#   npx bmp-gdbserver run examples/gdb-and-python.py --sim stm32f407 -- 2000
#   gdb-multiarch -ex "target extended-remote 127.0.0.1:2000" -ex "monitor swdp_scan" -ex "attach 1"
#   (gdb) monitor python polls
#   (gdb) monitor python peek(0xE000ED00)
#   (gdb) monitor python stop()
#
# The script starts the GDB server on the port given (default 2000), then goes on with work of
# its own (here it counts); `monitor python <expression>` in GDB evaluates the expression in the
# script and prints the result in GDB. `monitor python stop()` ends the script, and with it the
# server.
import struct
import sys
import time

import bmp
import target

port = bmp.init(tcp=int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
polls = 0
running = True


def peek(address):
    """A word of the target's memory, as GDB sees it."""
    buf = bytearray(4)
    target.mem_read(buf, address)
    return "0x%08x" % struct.unpack("<I", buf)[0]


def stop():
    global running
    running = False
    return "stopping"


bmp.repl_fun(lambda text: eval(text, globals()))
print("GDB server on 127.0.0.1:%d; `monitor python stop()` ends this script" % port)
while running:
    polls += 1
    time.sleep(0.05)
bmp.deinit()
print("Done after %d polls" % polls)
