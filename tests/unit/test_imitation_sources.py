"""Prompts are read where generators write them: EXIF UserComment and C2PA, not only PNG text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from artistshield.provenance import credentials, metadata
from artistshield.provenance.imitation import find_names, generation_texts

PROMPT = "a lighthouse at night, in the style of @Zoe.Quill, trending\nSteps: 28, Sampler: Euler a"


def _with_user_comment(path: Path, comment: bytes, *, fmt: str = "JPEG") -> Path:
    exif = Image.Exif()
    exif.get_ifd(metadata._EXIF_IFD)[metadata._USER_COMMENT] = comment
    Image.new("RGB", (48, 48), (40, 60, 90)).save(path, fmt, exif=exif.tobytes())
    return path


@pytest.mark.parametrize(
    ("comment", "fmt"),
    [
        (b"UNICODE\x00" + PROMPT.encode("utf-16-be"), "JPEG"),  # piexif / AUTOMATIC1111
        (b"UNICODE\x00" + PROMPT.encode("utf-16-le"), "JPEG"),
        (b"UNICODE\x00" + PROMPT.encode("utf-16"), "WEBP"),  # with a byte-order mark
        (b"ASCII\x00\x00\x00" + PROMPT.encode("ascii"), "JPEG"),
        (b"\x00" * 8 + PROMPT.encode("utf-8"), "JPEG"),
    ],
    ids=["utf16-be", "utf16-le", "utf16-bom-webp", "ascii", "undefined"],
)
def test_a_prompt_in_exif_user_comment_names_an_alias(
    tmp_path: Path, comment: bytes, fmt: str
) -> None:
    path = _with_user_comment(tmp_path / f"ai.{fmt.lower()}", comment, fmt=fmt)
    read = metadata.read(path)
    assert read.generative_ai  # the settings line says a generator wrote it
    texts = generation_texts(read)
    assert [source for source, _ in texts] == ["EXIF UserComment"]
    hits = find_names(texts, ["Ada Artist", "zoe quill"])  # the alias, spelled as a handle
    assert [h.name for h in hits] == ["zoe quill"] and "in the style of @Zoe.Quill" in hits[0].quote
    assert all("\x00" not in text for _, text in texts)


def test_a_plain_user_comment_is_a_note_not_a_prompt(tmp_path: Path) -> None:
    """A person's note naming the artist is a credit: no claim that a prompt names them."""
    comment = b"UNICODE\x00" + "a sketch after Zoë Quill".encode("utf-16-be")
    read = metadata.read(_with_user_comment(tmp_path / "c.jpg", comment))
    assert not read.generative_ai
    assert not find_names(generation_texts(read), ["Zoë Quill"])


def test_a_plain_comment_is_searched_in_a_file_declared_ai(tmp_path: Path) -> None:
    """The same words in a file whose metadata says generative AI are that file's prompt."""
    path = tmp_path / "ai.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a sketch after Zoë Quill")
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
        'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
    )
    info.add_itxt("XML:com.adobe.xmp", xmp)
    Image.new("RGB", (32, 32), "white").save(path, pnginfo=info)
    read = metadata.read(path)
    assert read.generative_ai
    assert [h.name for h in find_names(generation_texts(read), ["Zoë Quill"])] == ["Zoë Quill"]


@pytest.mark.parametrize("where", ["png-description", "exif-description", "xmp-description"])
def test_a_midjourney_style_description_is_a_prompt(tmp_path: Path, where: str) -> None:
    """Midjourney writes the prompt, its parameters and a job id as the description."""
    prompt = "a lighthouse in the style of ink_fox --ar 16:9 --v 6.1 Job ID: 0f3c"
    path = tmp_path / "mj.png"
    info = PngImagePlugin.PngInfo()
    image = Image.new("RGB", (32, 32), "white")
    if where == "png-description":
        info.add_text("Description", prompt)
        image.save(path, pnginfo=info)
    elif where == "exif-description":
        exif = Image.Exif()
        exif[0x010E] = prompt
        path = tmp_path / "mj.jpg"
        image.save(path, exif=exif)
    else:
        xmp = (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
            f'<rdf:li xml:lang="x-default">{prompt}</rdf:li></rdf:Alt></dc:description>'
            "</rdf:Description></rdf:RDF></x:xmpmeta>"
        )
        info.add_itxt("XML:com.adobe.xmp", xmp)
        image.save(path, pnginfo=info)
    read = metadata.read(path)
    assert read.generative_ai
    hits = find_names(generation_texts(read), ["@InkFox"])
    assert [h.name for h in hits] == ["@InkFox"] and "ink_fox" in hits[0].quote
    plain = tmp_path / "plain.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "A lighthouse, painted by Ink Fox in 2024.")
    image.save(plain, pnginfo=info)
    assert not find_names(generation_texts(metadata.read(plain)), ["@InkFox"])  # a credit


def test_a_prompt_in_c2pa_action_parameters_and_ingredients_is_searched() -> None:
    store = {
        "active_manifest": "m",
        "manifests": {
            "m": {
                "ingredients": [{"title": "reference by zoe_quill.png", "relationship": "inputTo"}],
                "assertions": [
                    {
                        "label": "c2pa.actions.v2",
                        "data": {
                            "actions": [
                                {
                                    "action": "c2pa.created",
                                    "digitalSourceType": "http://cv.iptc.org/newscodes/"
                                    "digitalsourcetype/trainedAlgorithmicMedia",
                                    "parameters": {"prompt": "fox spirit in the style of Zoë Quill"},
                                }
                            ]
                        },
                    }
                ],
            }
        },
    }
    read = credentials.summarise(json.loads(json.dumps(store)))
    hits = find_names(generation_texts(None, read), ["Zoë Quill"])
    assert {h.source for h in hits} == {
        "Content Credentials action",
        "Content Credentials ingredient",
    }
    assert any("fox spirit in the style of Zoë Quill" in h.quote for h in hits)


def test_check_leads_with_an_alias_in_user_comment(tmp_path: Path, monkeypatch, capsys) -> None:
    from artistshield import identity
    from artistshield.cli import main

    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    assert main(["identity", "create", "--name", "Zoë Quill"]) == 0
    assert main(["identity", "alias", "add", "@inkfox"]) == 0
    comment = b"UNICODE\x00" + "koi pond, by INKFOX, 4k\nSteps: 20".encode("utf-16-be")
    suspect = _with_user_comment(tmp_path / "repost ü.JPG", comment)
    capsys.readouterr()
    main(["check", str(suspect), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert [hit["name"] for hit in result["names_artist"]] == ["@inkfox"]
    assert result["verdict"].startswith("the prompt that made this image names you")


def test_settings_in_user_comment_are_an_ai_finding_in_full(tmp_path: Path) -> None:
    from artistshield.check import CheckResult
    from artistshield.verdict import ai_findings

    long_prompt = "river spirit, " * 20 + "by nobody in particular\nSteps: 20, Seed: 7"
    comment = b"UNICODE\x00" + long_prompt.encode("utf-16-be")
    read = metadata.read(_with_user_comment(tmp_path / "ai.jpg", comment))
    said = ai_findings(CheckResult(input="ai.jpg", metadata=read))
    assert len(said) == 1 and "Seed: 7" in said[0] and "EXIF UserComment" in said[0]
    plain = metadata.read(_with_user_comment(tmp_path / "p.jpg", b"ASCII\x00\x00\x00holiday"))
    assert ai_findings(CheckResult(input="p.jpg", metadata=plain)) == []


@pytest.mark.parametrize(
    ("name", "prompt"),
    [
        ("@inkfox_art", "koi, in the style of inkfox art"),
        ("@inkfox_art", "koi, by Inkfox-Art"),
        ("@inkfox_art", "koi, by INKFOXART"),
        ("InkFoxArt", "koi, by inkfox_art"),
        ("InkFoxArt", "koi, by Ink Fox Art"),
        ("O'Brien Studio", "koi, by O'Brien Studio"),
        ("O'Brien Studio", "koi, by o\N{RIGHT SINGLE QUOTATION MARK}brien studio"),
        ("O'Brien Studio", "koi, by OBrien Studio"),
    ],
)
def test_a_handles_underscores_apostrophes_and_camel_case_part_its_words(
    name: str, prompt: str
) -> None:
    assert [h.name for h in find_names([("s", prompt)], [name])] == [name]


def test_parted_words_still_need_their_boundaries() -> None:
    assert not find_names([("s", "by inkfox artisans")], ["@inkfox_art"])
    assert not find_names([("s", "by zoe_drawsome")], ["@zoe_draws"])


def test_a_prompt_in_png_comment_json_is_searched(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "NovelAI")
    info.add_text("Comment", json.dumps({"prompt": "fox girl, artist:inkfox_art", "steps": 28}))
    path = tmp_path / "nai.png"
    Image.new("RGB", (32, 32)).save(path, pnginfo=info)
    read = metadata.read(path)
    assert read.generative_ai
    hits = find_names(generation_texts(read), ["@inkfox_art"])
    assert [h.source for h in hits] == ["PNG text"] and "artist:inkfox_art" in hits[0].quote
