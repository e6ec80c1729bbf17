"""C2PA Content Credentials: who says they made or edited an image, and with what.

Read through ``c2pa-python`` (imported lazily; without it the result says
"not installed").  We report the active manifest's claim generator, signer
and dates, whether any manifest in the chain declares generative AI (an action
or digital source type ``trainedAlgorithmicMedia`` or
``compositeWithTrainedAlgorithmicMedia``), training and mining preferences,
and the validation state.  No trust list is configured offline, so a valid
signature from an unknown signer is shown as "untrusted", never as trusted.
A damaged manifest is reported as such, not raised.

Reading never touches the network: a suspect file whose manifest lives at a
URL (or whose certificates name an OCSP responder) could otherwise learn who
checks it and when, so remote manifests are reported, never fetched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: IPTC digital source types that mean a generative model made the image.
GENERATIVE_SOURCE_TYPES = frozenset(
    {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"}
)
PRESENT, ABSENT, DAMAGED, NOT_INSTALLED = "present", "absent", "damaged", "not installed"
#: The file names a manifest kept elsewhere, which is never fetched.
REMOTE = "remote"
#: c2pa settings for reading suspects: no remote manifests, no OCSP, no host allowed.
OFFLINE_SETTINGS = {
    "core": {"allowed_network_hosts": [], "allow_redirects": False},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}


@dataclass(frozen=True)
class ContentCredentials:
    """What an image's Content Credentials say, and whether they hold up."""

    status: str
    generator: str | None = None
    signer: str | None = None
    issuer: str | None = None
    dates: tuple[str, ...] = ()
    generative_ai: bool = False
    source_types: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    validation_state: str | None = None
    trusted: bool = False
    problems: tuple[str, ...] = field(default=())
    training_mining: tuple[str, ...] = ()
    error: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    """Free text of actions' parameters and ingredients, ``(where, text)``: a prompt's place."""

    @property
    def present(self) -> bool:
        return self.status in (PRESENT, DAMAGED)

    @property
    def signature(self) -> str:
        """The validation state in words."""
        if self.status != PRESENT:
            return "none"
        if self.problems:
            return "invalid: " + "; ".join(self.problems)
        if self.trusted:
            return "valid, signer trusted"
        return "valid, but the signer is not on any trust list (untrusted)"

    def findings(self) -> list[str]:
        if self.status == NOT_INSTALLED:
            return ["Content Credentials: not checked (c2pa-python is not installed)."]
        if self.status == ABSENT:
            return []
        if self.status == DAMAGED:
            return [f"Content Credentials are present but damaged and cannot be read ({self.error})."]
        if self.status == REMOTE:
            return [
                f"The file points to Content Credentials kept online ({self.error}); they were "
                "not fetched, so the file cannot learn who checks it."
            ]
        text = "Content Credentials (C2PA)"
        if self.generator:
            text += f" from {self.generator}"
        if self.signer:
            text += f", signed by {self.signer}" + (f" ({self.issuer})" if self.issuer else "")
        text += f"; signature {self.signature}."
        found = [text]
        if self.generative_ai:
            found.append(
                "Content Credentials declare the image was made with generative AI "
                f"({', '.join(self.source_types)})."
            )
        if self.training_mining:
            found.append("Content Credentials training/mining preferences: "
                         + "; ".join(self.training_mining) + ".")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "present": self.present,
            "generator": self.generator,
            "signer": self.signer,
            "issuer": self.issuer,
            "dates": list(self.dates),
            "generative_ai": self.generative_ai,
            "digital_source_types": list(self.source_types),
            "actions": list(self.actions),
            "validation_state": self.validation_state,
            "trusted": self.trusted,
            "signature": self.signature,
            "problems": list(self.problems),
            "training_mining": list(self.training_mining),
            "error": self.error,
        }


def read_file(path: str | Path) -> ContentCredentials:
    """Read the Content Credentials embedded in the file at *path*, never going online."""
    try:
        import c2pa
    except ImportError:
        return ContentCredentials(NOT_INSTALLED)
    with c2pa.Context.from_dict(OFFLINE_SETTINGS) as context:
        try:
            reader = c2pa.Reader.try_create(str(path), context=context)
        except c2pa.C2paError as exc:
            return _damaged_or_absent(str(exc))
        except (OSError, ValueError) as exc:
            return ContentCredentials(DAMAGED, error=str(exc) or type(exc).__name__)
        if reader is None:
            return ContentCredentials(ABSENT)
        with reader:
            try:
                store = json.loads(reader.json())
            except (c2pa.C2paError, ValueError) as exc:
                return ContentCredentials(DAMAGED, error=str(exc))
    return summarise(store)


def _damaged_or_absent(message: str) -> ContentCredentials:
    lowered = message.lower()
    if lowered.startswith("remote"):
        url = re.search(r"https?://[^\s\"']+", message)
        return ContentCredentials(REMOTE, error=url.group(0) if url else "a remote address")
    # Formats c2pa cannot embed in (BMP, ...) have no credentials to read.
    if "notsupported" in lowered.replace(" ", "") or "not supported" in lowered:
        return ContentCredentials(ABSENT)
    return ContentCredentials(DAMAGED, error=message.splitlines()[0][:200])


def summarise(store: dict[str, Any]) -> ContentCredentials:
    """Turn c2pa-python's manifest store JSON into a :class:`ContentCredentials`."""
    manifests: dict[str, Any] = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "") or {}
    signature = active.get("signature_info") or {}
    source_types: list[str] = []
    actions: list[str] = []
    dates: list[str] = [signature["time"]] if signature.get("time") else []
    mining: list[str] = []
    settings: list[tuple[str, str]] = []
    for manifest in manifests.values():
        for ingredient in manifest.get("ingredients") or ():
            settings += [("Content Credentials ingredient", t) for t in _ingredient_texts(ingredient)]
        for assertion in manifest.get("assertions") or ():
            label = str(assertion.get("label", ""))
            data = assertion.get("data") or {}
            if label.startswith("c2pa.ingredient"):
                settings += [
                    ("Content Credentials ingredient", t) for t in _ingredient_texts(data)
                ]
            if label.startswith("c2pa.actions"):
                for action in data.get("actions") or ():
                    actions.append(str(action.get("action", "?")))
                    texts = _strings([action.get("description"), action.get("parameters")])
                    settings += [("Content Credentials action", t) for t in texts]
                    kind = str(action.get("digitalSourceType") or "").rsplit("/", 1)[-1]
                    if kind and kind not in source_types:
                        source_types.append(kind)
                    if action.get("when"):
                        dates.append(str(action["when"]))
            elif label.startswith(("c2pa.training-mining", "cawg.training-mining")):
                for name, entry in (data.get("entries") or {}).items():
                    mining.append(f"{name}: {(entry or {}).get('use', '?')}")
    status = store.get("validation_status") or []
    problems = tuple(
        str(s.get("explanation") or s.get("code"))
        for s in status
        if "untrusted" not in str(s.get("code", ""))
    )
    state = store.get("validation_state")
    return ContentCredentials(
        PRESENT,
        generator=_generator(active),
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        dates=tuple(dates),
        generative_ai=any(k in GENERATIVE_SOURCE_TYPES for k in source_types),
        source_types=tuple(source_types),
        actions=tuple(actions),
        validation_state=state,
        trusted=state == "Trusted",
        problems=problems,
        training_mining=tuple(mining),
        settings=tuple(dict.fromkeys(settings)),
    )


def _ingredient_texts(ingredient: Any) -> list[str]:
    """An ingredient's words: its title, description and any prompt-like parameters."""
    if not isinstance(ingredient, dict):
        return []
    return _strings([ingredient.get(k) for k in ("title", "description", "label", "parameters")])


def _strings(value: Any, depth: int = 0) -> list[str]:
    """Every string in a JSON value, a few levels deep (hashes and URLs are not words)."""
    if isinstance(value, str):
        text = value.strip()
        return [text] if text and not re.fullmatch(r"[\w+/=:.-]{32,}", text) else []
    if depth > 4:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [t for item in value for t in _strings(item, depth + 1)]
    return []


def _generator(manifest: dict[str, Any]) -> str | None:
    infos = manifest.get("claim_generator_info") or []
    if infos:
        first = infos[0]
        version = first.get("version")
        return f"{first.get('name', '?')}/{version}" if version else str(first.get("name", "?"))
    generator = manifest.get("claim_generator")
    return str(generator) if generator else None
