"""``alliance cybertipline``: check and build offline; send and retract with the member's
settings, its media folder and a progress file, here against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliance.cli.main import main
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.platforms.cybertipline.schemas import Progress
from alliance.settings import get_settings
from tests.unit.platforms.conftest import case_data, picture


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_data()), encoding="utf-8")
    return path


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """The member's own storage of the case's files (benign pictures)."""
    folder = tmp_path / "media"
    folder.mkdir()
    for name in ("first.png", "second.png"):
        (folder / name).write_bytes(picture(name))
    return folder


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch):
    get_settings.cache_clear()
    with StandInCyberTipline() as server:
        monkeypatch.setenv("ALLIANCE_CYBERTIPLINE_URL", server.base_url)
        monkeypatch.setenv("ALLIANCE_CYBERTIPLINE_USERNAME", server.username)
        monkeypatch.setenv("ALLIANCE_CYBERTIPLINE_PASSWORD", server.password)
        monkeypatch.setenv("ALLIANCE_CYBERTIPLINE_TIMEOUT_SECONDS", "5")
        yield server
    get_settings.cache_clear()


def test_build_then_check(case_file: Path, tmp_path: Path, capsys) -> None:
    assert main(["cybertipline", "build", str(case_file)]) == 0
    xml = capsys.readouterr().out
    assert xml.startswith("<?xml") and "<incidentType>" in xml
    report = tmp_path / "report.xml"
    report.write_text(xml, encoding="utf-8")
    assert main(["cybertipline", "check", str(report)]) == 0
    assert "a valid <report>" in capsys.readouterr().out


def test_check_gives_the_reasons_and_exit_2(case_file: Path, tmp_path: Path, capsys) -> None:
    assert main(["cybertipline", "build", str(case_file)]) == 0
    xml = capsys.readouterr().out.replace("<eventName>Upload", "<eventName>Uplode")
    report = tmp_path / "report.xml"
    report.write_text(xml, encoding="utf-8")
    assert main(["cybertipline", "check", str(report)]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "report.xml" in error and "eventName" in error and "Upload" in error


def test_a_bad_case_is_refused_with_the_field(tmp_path: Path, capsys) -> None:
    data = case_data()
    data["files"][0]["hashes"]["md5"] = "abc"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["cybertipline", "build", str(path)]) == 2
    assert "files.0.hashes.md5" in capsys.readouterr().err
    path.write_text("{not json", encoding="utf-8")
    assert main(["cybertipline", "build", str(path)]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_send_without_settings_is_a_configuration_error(
    case_file: Path, media: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    get_settings.cache_clear()
    monkeypatch.delenv("ALLIANCE_CYBERTIPLINE_URL", raising=False)
    try:
        code = main(
            ["cybertipline", "send", str(case_file), "--media", str(media),
             "--progress", str(tmp_path / "p.json")]
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert code == 7
    assert "ALLIANCE_CYBERTIPLINE_URL" in capsys.readouterr().err


def test_status(configured, capsys, monkeypatch) -> None:
    assert main(["cybertipline", "status"]) == 0
    assert "Remote User : esp-user" in capsys.readouterr().out
    monkeypatch.setenv("ALLIANCE_CYBERTIPLINE_PASSWORD", "wrong")
    get_settings.cache_clear()
    assert main(["cybertipline", "status"]) == 3


def test_send_resume_and_retract(configured, case_file: Path, media: Path, tmp_path: Path, capsys):
    progress = tmp_path / "progress.json"
    argv = [
        "cybertipline",
        "send",
        str(case_file),
        "--media",
        str(media),
        "--progress",
        str(progress),
    ]
    configured.fail("finish", "http_5xx")
    configured.fail("finish", "http_5xx")
    configured.fail("finish", "http_5xx")
    configured.fail("finish", "http_5xx")
    assert main(argv) == 1  # NCMEC unavailable: the progress is kept
    stopped = Progress.model_validate_json(progress.read_text(encoding="utf-8"))
    assert stopped.stopped_at == "finish" and stopped.report_id is not None
    capsys.readouterr()

    assert main(argv) == 0  # resumed: finish only
    assert f"report {stopped.report_id}" in capsys.readouterr().out
    assert len(configured.finished_reports()) == 1
    assert len(configured.accepted("upload")) == 2

    assert main(["cybertipline", "retract", "--progress", str(progress)]) == 5
    assert "already filed" in capsys.readouterr().err


def test_send_refuses_a_missing_file_before_opening_a_report(
    configured, case_file: Path, tmp_path: Path, capsys
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["cybertipline", "send", str(case_file), "--media", str(empty),
            "--progress", str(tmp_path / "p.json")]  # fmt: skip
    assert main(argv) == 2
    assert "first.png" in capsys.readouterr().err
    assert configured.calls == []
