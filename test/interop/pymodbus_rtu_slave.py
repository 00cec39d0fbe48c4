#!/usr/bin/python3
"""A Modbus RTU slave on a serial port, for the RTU master interop tests, on Debian's
python3-pymodbus (3.0.0rc1) and python3-serial-asyncio.

usage: pymodbus_rtu_slave.py --port PATH [--baud N] [--slave-id N] [--delay-ms N]

Opens PATH (a real port or one end of a socat pty pair) at N baud, 8N1, and answers requests
for --slave-id (default 1) only; requests for any other id get no reply, as on a shared RS-485
bus. --delay-ms holds every reply back that long (default 0), to provoke response timeouts.

Data, all from address 0 on the wire (zero_mode: no pymodbus off-by-one):
  coils              0..99   coil i = 1 when i is odd
  discrete inputs    0..99   input i = 1 when i is even
  holding registers  0..99   holding[i] = 100 + i
  input registers    0..99   input[i] = 200 + i
Writes (FC5/6/15/16) change the coils and holding registers; reading or writing past 99 gets
exception 2 (illegal data address).

Prints "READY" on stdout (flushed) once the port is open, and exits 0 on SIGTERM or SIGINT.
If the port goes away (the pty peer dies), it reopens it every 0.2 s until it is back.

Written against pymodbus 3.0: StartAsyncSerialServer defaults to the ASCII framer, so the RTU
framer is passed explicitly; defer_start=True returns the server so that we can open the port,
report READY and shut down ourselves. Run it with /usr/bin/python3, where Debian installs the
package, not a pyenv shim.
"""
import argparse
import asyncio
import logging
import signal
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncSerialServer
from pymodbus.server.async_io import ModbusSingleRequestHandler
from pymodbus.transaction import ModbusRtuFramer

POINTS = 100


def handler_with_delay(delay_s):
    """A serial request handler that writes each reply delay_s seconds late."""

    class DelayedHandler(ModbusSingleRequestHandler):
        def _send_(self, data):
            transport = self.transport
            if transport is None:
                return

            def write():
                if not transport.is_closing():
                    transport.write(data)

            asyncio.get_running_loop().call_later(delay_s, write)

    return DelayedHandler


async def main(args):
    # pymodbus 3.0 logs a cancelled handler at ERROR on every shutdown, and bad frames at DEBUG
    # only; keep what is fatal.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    slave = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(0, [i % 2 == 1 for i in range(POINTS)]),
        di=ModbusSequentialDataBlock(0, [i % 2 == 0 for i in range(POINTS)]),
        hr=ModbusSequentialDataBlock(0, [100 + i for i in range(POINTS)]),
        ir=ModbusSequentialDataBlock(0, [200 + i for i in range(POINTS)]),
        zero_mode=True,
    )
    # single=False: only the listed unit ids are served; the RTU framer drops the others unanswered.
    context = ModbusServerContext(slaves={args.slave_id: slave}, single=False)
    kwargs = {}
    if args.delay_ms > 0:
        kwargs["handler"] = handler_with_delay(args.delay_ms / 1000)
    server = await StartAsyncSerialServer(
        context=context,
        framer=ModbusRtuFramer,
        port=args.port,
        baudrate=args.baud,
        bytesize=8,
        parity="N",
        stopbits=1,
        ignore_missing_slaves=True,
        defer_start=True,
        **kwargs,
    )
    try:
        await server.start()
    except Exception as exc:  # pylint: disable=broad-except  (serial.SerialException, OSError)
        print(f"pymodbus_rtu_slave: cannot open {args.port}: {exc}", file=sys.stderr)
        return 1
    if server.transport is None:
        print(f"pymodbus_rtu_slave: cannot open {args.port}", file=sys.stderr)
        return 1
    # Only now: with auto_reconnect set before start(), a port that never opens is not an error.
    server.auto_reconnect = True
    server.reconnect_delay = 0.2
    print("READY", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.auto_reconnect = False
    await server.shutdown()
    return 0


def parse_args():
    parser = argparse.ArgumentParser(description="pymodbus Modbus RTU slave for interop tests")
    parser.add_argument("--port", required=True, help="serial port, e.g. one end of a socat pty pair")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--slave-id", type=int, default=1, choices=range(1, 248), metavar="1..247")
    parser.add_argument("--delay-ms", type=int, default=0, help="hold each reply back this long")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
