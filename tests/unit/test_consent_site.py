"""`artistshield consent site`: opt-out files for the artist's website."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artistshield.cli import main
from artistshield.errors import ArtistShieldError
from artistshield.provenance import site


def test_the_shipped_crawler_list_is_read() -> None:
    crawlers = site.known_crawlers()
    assert {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended"} <= set(crawlers)
    assert not any(c.startswith("#") or not c.strip() for c in crawlers)


def test_site_files_refuse_ai_training(tmp_path: Path) -> None:
    files = site.write_site(tmp_path, creator="Zoë", policy="https://zoe.example/terms",
                            crawlers=("GPTBot", "CCBot"))
    assert json.loads(files.tdmrep.read_text("utf-8")) == [
        {"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://zoe.example/terms"}
    ]
    assert files.tdmrep == tmp_path / ".well-known" / "tdmrep.json"
    ai = files.ai_txt.read_text("utf-8").splitlines()
    assert "User-Agent: *" in ai and "Disallow: /" in ai and "Disallow: *.png" in ai
    robots = files.robots.read_text("utf-8")
    assert files.robots.name == "robots.txt"
    assert "User-agent: GPTBot\nDisallow: /\n" in robots
    assert "User-agent: CCBot\nDisallow: /\n" in robots
    assert "Content-Usage: train-ai=n" in robots and "Internet-Draft" in robots


def test_an_existing_robots_txt_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    files = site.write_site(tmp_path, crawlers=("GPTBot",))
    assert files.robots.name == "robots-ai.txt"
    assert (tmp_path / "robots.txt").read_text("utf-8") == "User-agent: *\nAllow: /\n"


def test_nothing_is_written_when_a_file_exists(tmp_path: Path) -> None:
    (tmp_path / "ai.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ArtistShieldError, match="never overwrites"):
        site.write_site(tmp_path, crawlers=("GPTBot",))
    assert (tmp_path / "ai.txt").read_text("utf-8") == "mine\n"
    assert not (tmp_path / ".well-known").exists() and not (tmp_path / "robots.txt").exists()


def test_the_command_with_an_own_crawler_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "crawlers.txt"
    mine.write_text("# mine\nSomeBot\n\nOtherBot  # new\n", encoding="utf-8")
    out = tmp_path / "site"
    assert main(["consent", "site", "--out", str(out), "--crawlers", str(mine)]) == 0
    robots = (out / "robots.txt").read_text("utf-8")
    assert "User-agent: SomeBot" in robots and "User-agent: OtherBot" in robots
    assert "GPTBot" not in robots
    assert "2 AI crawlers refused" in capsys.readouterr().out
