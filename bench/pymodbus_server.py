"""Reference Modbus/TCP server for bench/modbus.mjs, on Debian's python3-pymodbus.

    /usr/bin/python3 bench/pymodbus_server.py [PORT]    (PORT 0 or absent: a free one)

Serves 1000 holding registers from address 0 to any unit id on 127.0.0.1, with pymodbus's
asyncio TCP server as its docs present it. Prints "listening 127.0.0.1:PORT" once bound (the
real port, so the caller can ask for 0) and exits 0 on SIGTERM or SIGINT.

Written against pymodbus 3.0 (Debian 12 ships 3.0.0rc1): StartAsyncTcpServer(defer_start=True)
returns the server object, so we can read the bound port from its asyncio server. Run it with
/usr/bin/python3, where Debian installs the package, not a pyenv shim.
"""
import asyncio
import logging
import signal
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncTcpServer

REGISTERS = 1000


async def main(port: int) -> None:
    # pymodbus 3.0 logs every client disconnect at ERROR ("Handler for stream ... has been
    # canceled"); the bench closes connections on purpose, so keep only what is fatal.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    # zero_mode: address 0 on the wire is the block's first register, as in libmodbus;
    # pymodbus otherwise adds 1 to every address.
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, list(range(REGISTERS))), zero_mode=True
    )
    # single=True answers every unit id with this one context.
    context = ModbusServerContext(slaves=slave, single=True)
    server = await StartAsyncTcpServer(
        context=context, address=("127.0.0.1", port), defer_start=True
    )
    serving = asyncio.create_task(server.serve_forever())
    await server.serving
    bound = server.server.sockets[0].getsockname()
    print(f"listening {bound[0]}:{bound[1]}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.shutdown()
    serving.cancel()
    try:
        await serving
    except asyncio.CancelledError:
        pass


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
