"""The device-profile library: one YAML file per meter model.

Profiles are registered explicitly in ``PROFILE_FILES`` (no directory scanning), so a
profile that is added must be named here, and a test checks every file is registered.
The gateway reads meters with these profiles and the simulator serves registers from
the same files.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["PROFILE_FILES", "profile_text"]

PROFILE_FILES: dict[str, str] = {
    "abb-b23": "abb_b23.yaml",
    "carlogavazzi-em24": "carlogavazzi_em24.yaml",
    "carlogavazzi-em340": "carlogavazzi_em340.yaml",
    "eastron-sdm120": "eastron_sdm120.yaml",
    "eastron-sdm630": "eastron_sdm630.yaml",
    "ismacontrolli-sfar-1m-4di": "ismacontrolli_sfar_1m_4di.yaml",
    "janitza-b23": "janitza_b23.yaml",
    "schneider-iem3255": "schneider_iem3255.yaml",
    "tuf2000": "tuf2000.yaml",
    "xy-md02": "xy_md02.yaml",
}


def profile_text(profile_id: str) -> str:
    """The YAML text of a registered profile (KeyError when unknown)."""
    return resources.files(__name__).joinpath(PROFILE_FILES[profile_id]).read_text("utf-8")
