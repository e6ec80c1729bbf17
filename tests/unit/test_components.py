"""The bundled components and their licences, read from installed package metadata."""

from email.message import Message
from importlib import metadata

import pytest

from artistshield import components
from artistshield.components import Component, licence_of

#: What the issue asks the About box to name, by component name.
EXPECTED = {
    "PySide6_Essentials", "shiboken6", "Qt", "FFmpeg", "av", "c2pa-python", "numpy", "scipy",
    "pillow", "cryptography", "platformdirs",
}


def by_name() -> dict[str, Component]:
    return {c.name: c for c in components.components()}


def test_every_runtime_component_is_listed_with_a_licence() -> None:
    found = by_name()
    assert set(found) >= EXPECTED
    for component in found.values():
        assert component.version, component
        assert component.licence and not component.licence.startswith("see "), component


def test_licences_are_the_packages_own() -> None:
    found = by_name()
    assert "LGPL-3.0" in found["Qt"].licence
    assert found["c2pa-python"].licence == "MIT OR Apache-2.0"
    assert "LGPL" in found["FFmpeg"].licence or "GPL" in found["FFmpeg"].licence
    assert found["scipy"].licence == "BSD License"  # from its classifier: its License field is the text


def test_optional_extras_and_tools_are_left_out() -> None:
    names = {n.lower() for n in by_name()}
    assert not names & {"invisible-watermark", "torch", "opencv-python", "pytest", "ruff"}


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (" python_full_version < '3.11'", False),  # cryptography's typing-extensions
        (' extra == "sd"', False),
        (" sys_platform != 'no-such-platform'", True),
    ],
)
def test_requirement_markers_are_evaluated_here(marker: str, expected: bool) -> None:
    assert components._applies(marker) is expected


class FakeDistribution(metadata.Distribution):
    def __init__(self, **fields: str | list[str]) -> None:
        self._message = Message()
        for key, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                self._message[key.replace("_", "-")] = item

    @property
    def metadata(self) -> Message:  # type: ignore[override]
        return self._message

    def read_text(self, filename: str) -> str | None:
        return None

    def locate_file(self, path: str) -> str:  # type: ignore[override]
        raise NotImplementedError


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"License_Expression": "MIT", "License": "BSD"}, "MIT"),
        ({"License": "Apache-2.0"}, "Apache-2.0"),
        ({"License": "Copyright (c) 2001\nlong text", "Classifier": [
            "Programming Language :: Python", "License :: OSI Approved :: BSD License"]}, "BSD License"),
        ({}, "see the package's licence file"),
    ],
)
def test_licence_of_prefers_the_expression_then_a_short_field_then_classifiers(
    fields: dict[str, str | list[str]], expected: str
) -> None:
    assert licence_of(FakeDistribution(**fields)) == expected
