# The probe's own services, as the original probe's `bmp` module named them: the GDB server,
# here on a loopback TCP port of this PC, and the hook through which GDB's `monitor python ...`
# calls back into the script.
from _bmp import call, u32

_callback = None


def init(tcp=None, stream=None):
    """Starts the GDB server on 127.0.0.1:tcp (0 picks a free port) and returns the port. It serves
    while the script runs on, and after the script ends until Ctrl-C."""
    if stream is not None:
        raise ValueError(
            "bmp.init(stream=...) serves GDB on the probe's own USB serial port, which a PC does not have: "
            "use bmp.init(tcp=port)"
        )
    if tcp is None:
        raise ValueError("bmp.init needs tcp=port (for example bmp.init(tcp=2000))")
    return call("bmp.init", u32(tcp, "tcp"))


def deinit():
    """Stops the GDB server (a GDB attached to it is disconnected)."""
    call("bmp.deinit")


def debug(on=None):
    """Turns the GDB server's diagnostics on stderr (connections, errors) on or off; returns the setting."""
    return call("bmp.debug", None if on is None else bool(on))


def repl_fun(cb):
    """GDB's `monitor python <text>` calls cb(text); what it prints goes to GDB's console, and so
    does repr() of what it returns (unless None). An exception fails the command with its traceback.
    repl_fun(None) removes it. The call happens when the script next calls into the probe (or
    sleeps), or at once when the script has ended."""
    global _callback
    if cb is not None and not callable(cb):
        raise TypeError("repl_fun takes a function (or None)")
    _callback = cb
    call("bmp.repl_fun", cb is not None)


def _dispatch(text):
    """Run for `monitor python`: True if the callback returned, False if it raised (printed)."""
    import sys

    if _callback is None:
        print("No Python callback: the script has not called bmp.repl_fun(cb).")
        return False
    try:
        result = _callback(text)
        if result is not None:
            print(repr(result))
        return True
    except Exception as e:
        sys.print_exception(e, sys.stdout)
        return False


def help():
    print(
        """bmp: the GDB server and GDB's way back into the script
  init(tcp=port) -> port   start the GDB server on 127.0.0.1 (port 0: any free one)
  deinit()                 stop it
  debug(on=None) -> bool   the GDB server's diagnostics on stderr
  repl_fun(cb)             `monitor python <text>` in GDB calls cb(text)"""
    )
