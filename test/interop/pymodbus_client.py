#!/usr/bin/python3
"""Runs Modbus/TCP operations with pymodbus (Debian's python3-pymodbus, 3.x synchronous client)
and prints one JSON document: {"version": ..., "results": [...]}, one result per operation.

usage: pymodbus_client.py HOST PORT OPERATIONS_JSON

An operation is {"op": NAME, "address": N, ...} with NAME one of
  read_coils, read_discrete_inputs, read_holding_registers, read_input_registers  ("count")
  read_input_float, read_holding_float   (one REAL, high word first)
  write_coil ("value": bool), write_register ("value": int), write_registers ("values": [int])
and optional "unit". A result is {"bits": [...]}, {"registers": [...]}, {"float": x},
{"ok": true} for a write, or {"exception": code, "name": "IllegalAddress"} for an exception
response, or {"error": text} when there was no usable response.
"""
import json
import struct
import sys

import pymodbus
from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse, ModbusExceptions


def run(client, op):
    kind = op["op"]
    address = op["address"]
    unit = op.get("unit", 1)
    count = op.get("count", 1)
    if kind == "read_coils":
        rr = client.read_coils(address, count, slave=unit)
    elif kind == "read_discrete_inputs":
        rr = client.read_discrete_inputs(address, count, slave=unit)
    elif kind in ("read_holding_registers", "read_holding_float"):
        rr = client.read_holding_registers(address, 2 if kind.endswith("float") else count, slave=unit)
    elif kind in ("read_input_registers", "read_input_float"):
        rr = client.read_input_registers(address, 2 if kind.endswith("float") else count, slave=unit)
    elif kind == "write_coil":
        rr = client.write_coil(address, bool(op["value"]), slave=unit)
    elif kind == "write_register":
        rr = client.write_register(address, op["value"], slave=unit)
    elif kind == "write_registers":
        rr = client.write_registers(address, op["values"], slave=unit)
    else:
        raise ValueError(f"unknown op {kind}")

    if isinstance(rr, ExceptionResponse):
        return {"exception": rr.exception_code, "name": ModbusExceptions.decode(rr.exception_code)}
    if rr is None or rr.isError():
        return {"error": str(rr)}
    if kind.endswith("float"):
        return {"float": struct.unpack(">f", struct.pack(">HH", *rr.registers[:2]))[0]}
    if kind in ("read_coils", "read_discrete_inputs"):
        return {"bits": [1 if b else 0 for b in rr.bits[:count]]}
    if kind.startswith("read"):
        return {"registers": list(rr.registers)}
    return {"ok": True}


def main():
    host, port, operations = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    client = ModbusTcpClient(host, port=port, timeout=5, retries=0)
    if not client.connect():
        print(json.dumps({"error": f"cannot connect to {host}:{port}"}))
        return 1
    try:
        results = [run(client, op) for op in operations]
    finally:
        client.close()
    print(json.dumps({"version": pymodbus.__version__, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
