"""Every profile's registers read through the simulator with pymodbus agree with state()."""

from __future__ import annotations

import subprocess

import pytest
from firmware_sim import running_bus

from plantmeter.profile import available_profiles, load_profile
from plantmeter.registers import decode

from .conftest import T_NOON


def _read_point(client, unit: int, point) -> list[int]:
    fn = client.read_input_registers if point.fc == 4 else client.read_holding_registers
    rr = fn(point.address, count=point.count, device_id=unit)
    assert not rr.isError(), (point.name, rr)
    return rr.registers


def test_every_profile_reads_back_the_model_state(every_profile, client_for) -> None:
    with running_bus(
        every_profile, port_overrides={"board-1": 0, "utility-485": 0}, speed=0, start_time=T_NOON
    ) as bus:
        client = client_for(bus.ports["board-1"])
        for unit, pid in enumerate(available_profiles(), start=1):
            profile = load_profile(pid)
            state = bus.state(pid)
            got = {}
            for point in profile.points:
                regs = _read_point(client, unit, point)
                got[point.name] = decode(regs, point.type, point.word_order, point.scale)
                tol = max(abs(point.scale), abs(state[point.name]) * 1e-6)
                assert got[point.name] == pytest.approx(state[point.name], abs=tol), (
                    pid,
                    point.name,
                )
            served = {s.quantity: s.value for s in bus.served(pid)}
            for name, value in got.items():
                assert served[name] == value, (pid, name)  # the log holds exactly what was sent
            for d in profile.derived:
                assert sum(got[p] for p in d.sum) == pytest.approx(state[d.name], abs=1e-3)
            if profile.category == "electricity_meter":
                assert state["power_total"] > 0 and state["energy_import_total"] > 1000


def test_mbpoll_reads_the_sdm630_energy_counter(dairy) -> None:
    with running_bus(
        dairy, port_overrides={"board-1": 0, "utility-485": 0}, speed=0, start_time=T_NOON
    ) as bus:
        point = load_profile("eastron-sdm630").point("energy_import_total")
        out = subprocess.run(
            [
                "/usr/bin/mbpoll",
                "-m",
                "tcp",
                "-a",
                "1",
                "-r",
                str(point.address + 1),
                "-c",
                "1",
                "-t",
                "3:float",
                "-B",
                "-p",
                str(bus.ports["board-1"]),
                "-1",
                "127.0.0.1",
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        line = next(x for x in out.stdout.splitlines() if x.startswith(f"[{point.address + 1}]"))
        value = float(line.split(":")[1])
        # mbpoll prints floats with %g (6 significant digits): up to 5e-6 relative rounding
        assert value == pytest.approx(bus.state("main-elec")["energy_import_total"], rel=5e-6)
        assert bus.served("main-elec")[-1].value == pytest.approx(value, rel=5e-6)
