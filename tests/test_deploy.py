"""The Procfile and the systemd units describe the same processes: each Procfile process has its unit, run with the
same command from the same environment file, and the site's target starts it."""

import configparser

from tests.serving import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/kehou/"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text())
    return parser


def test_every_procfile_process_has_a_systemd_unit_with_the_same_command():
    processes = procfile()
    assert set(processes) == {"web", "worker", "scheduler", "sender"}
    wanted = unit("kehou.target")["Unit"]["Wants"].split()
    for name, command in processes.items():
        file = f"kehou-{name}@.service" if (UNITS / f"kehou-{name}@.service").exists() else f"kehou-{name}.service"
        service = unit(file)["Service"]
        assert service["ExecStart"] == INSTALLED + command, f"{file} runs something else than the Procfile's {name}"
        assert service["EnvironmentFile"] == "/etc/kehou/env" and service["WorkingDirectory"] == INSTALLED.rstrip("/")
        assert service["Restart"] == "always"
        assert file.replace("@.service", "@1.service") in wanted, f"kehou.target does not start {file}"
