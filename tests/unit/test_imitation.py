"""A prompt that names the artist is found, in generation settings only."""

from pathlib import Path

from PIL import Image, PngImagePlugin

from artistshield.provenance import metadata
from artistshield.provenance.imitation import find_names, generation_texts


def test_a_prompt_naming_the_artist_is_quoted() -> None:
    prompt = "a castle at dusk, highly detailed, in the style of Zoë Marchetti, trending"
    hits = find_names([("PNG text", prompt)], ["Zoë Marchetti"])
    assert len(hits) == 1
    assert hits[0].name == "Zoë Marchetti" and hits[0].source == "PNG text"
    assert "in the style of Zoë Marchetti" in hits[0].quote


def test_spellings_of_a_name_and_handles_match() -> None:
    names = ["Zoë Marchetti", "@zoe_draws"]
    for text in (
        "style of zoe marchetti",
        "by ZOË MARCHETTI, 4k",
        "zoe_marchetti lora",
        "ZoeMarchetti",
        "art by zoe-marchetti",
        "inspired by @zoe_draws",
        "inspired by zoe_draws",
        "zoë　marchetti",  # an ideographic space
    ):
        assert find_names([("t", text)], names), text


def test_other_words_do_not_match() -> None:
    names = ["Ann", "Zoë Marchetti", "@zoe_draws", "Al"]
    for text in (
        "a planner, annotated",  # Ann inside a word
        "zoe marchettini",
        "zoe_drawsome",
        "a landscape in the style of an old master",
        "Al",  # too short to be told from a word
    ):
        assert not find_names([("t", text)], names), text
    assert find_names([("t", "Ann Lee's portrait")], ["Ann"])  # three letters is enough


def test_only_generation_settings_are_searched(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "portrait in the style of Ada Artist\nSteps: 20, Sampler: Euler")
    info.add_text("Author", "Ada Artist")  # a credit, not a prompt
    path = tmp_path / "ai.png"
    Image.new("RGB", (32, 32)).save(path, pnginfo=info)
    texts = generation_texts(metadata.read(path))
    assert [source for source, _ in texts] == ["PNG text generation settings"]
    hits = find_names(texts, ["Ada Artist"])
    assert len(hits) == 1 and "portrait in the style of Ada Artist" in hits[0].quote


def test_check_leads_with_a_prompt_that_names_the_artist(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import json

    from artistshield import identity
    from artistshield.cli import main

    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    assert main(["identity", "create", "--name", "Ada Artist"]) == 0
    assert main(["identity", "alias", "add", "@ada_draws"]) == 0
    assert identity.aliases() == ["@ada_draws"]
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a witch's cottage, by ada_draws, trending\nSteps: 30")
    suspect = tmp_path / "ai.png"
    Image.new("RGB", (96, 96), (90, 120, 200)).save(suspect, pnginfo=info)
    capsys.readouterr()
    main(["check", str(suspect), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert [hit["name"] for hit in result["names_artist"]] == ["@ada_draws"]
    assert "by ada_draws" in result["names_artist"][0]["quote"]
    assert result["verdict"].startswith("the prompt that made this image names you")
    # without the alias, nothing names the artist
    assert main(["identity", "alias", "remove", "@ada_draws"]) == 0
    capsys.readouterr()
    main(["check", str(suspect), "--json"])
    assert json.loads(capsys.readouterr().out)["names_artist"] == []
