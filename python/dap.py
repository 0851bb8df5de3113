# The CMSIS-DAP engine, as the original probe's `dap` module named it: one request in, one
# response out, processed by the same C engine the probe firmware runs, here driving the
# simulated target's SWD wire (bmp-gdbserver run --sim).
from _bmp import call, hexof, writable, fill


def init(packet_size=64):
    """Starts an engine with that packet size (64 to 1024), forgetting any earlier one."""
    call("dap.init", packet_size)


def deinit():
    call("dap.deinit")


def process(req, resp):
    """Runs one CMSIS-DAP request; writes its response at the start of resp (which must hold
    it) and returns True, or returns False if it has none yet (DAP_QueueCommands). When one
    request completes several queued ones, each later response comes from process(b"", resp)."""
    writable(resp, "resp")
    answer = call("dap.process", hexof(req, "req"), len(resp))
    if answer is None:
        return False
    fill(memoryview(resp)[0:len(answer) // 2], answer)
    return True


def help():
    print(
        """dap: the CMSIS-DAP engine on the simulated target's wire
  init(packet_size=64)   deinit()   process(req, resp: bytearray) -> bool"""
    )
