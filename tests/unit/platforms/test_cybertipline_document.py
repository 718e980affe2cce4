"""The CyberTipline documents: built from a case with NCMEC's names, checked by our schema,
and bad input refused with a message that says what is wrong."""

from __future__ import annotations

import copy
from xml.etree.ElementTree import tostring

import pytest
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from alliance.errors import InvalidInput
from alliance.platforms.cybertipline import document
from alliance.platforms.cybertipline.schemas import CaseReport
from alliance.validation import validated

from .conftest import case_data


def build(**changes) -> CaseReport:
    return validated(CaseReport, **case_data(**changes))


def test_the_report_has_ncmecs_elements_in_the_documented_order() -> None:
    xml = document.report_document(build())
    assert document.check(xml) == "report"
    root = fromstring(xml)
    assert [child.tag for child in root] == [
        "incidentSummary",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "additionalInfo",
    ]
    summary = root.find("incidentSummary")
    assert summary is not None
    assert summary.findtext("incidentType") == (
        "Child Pornography (possession, manufacture, and distribution)"
    )
    # 10:15 at UTC+1, written in UTC
    assert summary.findtext("incidentDateTime") == "2026-11-30T09:15:00Z"
    assert summary.find("reportAnnotations/sextortion") is not None
    web = root.find("internetDetails/webPageIncident")
    assert web is not None and web.get("thirdPartyHostedContent") == "false"
    events = root.findall("personOrUserReported/ipCaptureEvent")
    assert [e.findtext("ipAddress") for e in events] == ["192.0.2.10", "2001:db8::1"]
    assert [e.findtext("eventName") for e in events] == ["Upload", "Login"]
    assert root.findtext("personOrUserReported/espIdentifier") == "u-123"
    assert root.findtext("reporter/reportingPerson/email") == "safety@example.test"


def test_text_is_escaped_by_the_serialiser() -> None:
    xml = document.report_document(build())
    assert b"Example Platform &lt;Trust &amp; Safety&gt;" in xml
    company = fromstring(xml).findtext("reporter/companyTemplate")
    assert company == "Example Platform <Trust & Safety>"


def test_file_details_carry_hashes_classification_and_annotations() -> None:
    case = build(
        files=[
            {
                "file_name": "first.png",
                "classification": "B2",
                "annotations": ["generativeAi", "viral"],
                "hashes": {"md5": "0" * 32, "sha1": "a" * 40, "pdq": "f" * 64},
                "upload_ip": {
                    "ip": "198.51.100.7",
                    "time": "2026-11-30T09:00:00Z",
                    "event": "Upload",
                },
            }
        ]
    )
    xml = document.file_details_document(
        "4564654", "b0754af766b426f2928a02c651ed4b99", case.files[0]
    )
    assert document.check(xml) == "fileDetails"
    root = fromstring(xml)
    assert root.findtext("reportId") == "4564654"
    assert root.findtext("industryClassification") == "B2"
    assert root.findtext("fileRelevance") == "Reported"
    assert [e.tag for e in root.find("fileAnnotations") or []] == ["generativeAi", "viral"]
    hashes = {e.get("hashType"): e.text for e in root.findall("originalFileHash")}
    assert hashes == {"MD5": "0" * 32, "SHA1": "a" * 40}
    assert root.findtext("details/nameValuePair/name") == "PDQ"
    assert root.findtext("ipCaptureEvent/ipAddress") == "198.51.100.7"


def test_a_case_with_only_what_the_law_requires_is_a_valid_report() -> None:
    data = case_data()
    minimal = {"incident": {k: data["incident"][k] for k in ("type", "time")}}
    minimal["reporter"] = data["reporter"]
    xml = document.report_document(validated(CaseReport, **minimal))
    assert document.check(xml) == "report"


def _problem(**changes) -> str:
    with pytest.raises(InvalidInput) as caught:
        build(**changes)
    return caught.value.message


def test_missing_required_fields_are_named() -> None:
    data = case_data()
    del data["incident"]["time"]
    with pytest.raises(InvalidInput, match=r"incident\.time: Field required"):
        validated(CaseReport, **data)
    data = case_data()
    del data["reporter"]
    with pytest.raises(InvalidInput, match="reporter: Field required"):
        validated(CaseReport, **data)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"incident": {"type": "Child Abuse", "time": "2026-11-30T10:15:00Z"}}, "incident.type"),
        # a time without its zone is ambiguous to an investigator
        ({"incident": {"type": "Child Sex Tourism", "time": "2026-11-30T10:15:00"}}, "timezone"),
    ],
)
def test_bad_incidents_are_refused(changes, expected) -> None:
    assert expected in _problem(**changes)


def test_a_bad_event_name_is_refused() -> None:
    user = copy.deepcopy(case_data()["reported_user"])
    user["ip_events"][0]["event"] = "Uplode"
    assert "reported_user.ip_events.0.event" in _problem(reported_user=user)


@pytest.mark.parametrize(
    ("hashes", "expected"),
    [
        ({"md5": "0" * 31}, "a MD5 is 32 hexadecimal characters"),
        ({"sha1": "0" * 64}, "a SHA-1 is 40 hexadecimal characters"),
        ({"sha256": "g" * 64}, "a SHA-256 is 64 hexadecimal characters"),
        ({"pdq": "0" * 63}, "a PDQ hash is 64 hexadecimal characters"),
    ],
)
def test_a_hash_of_the_wrong_length_or_alphabet_is_refused(hashes, expected) -> None:
    message = _problem(files=[{"file_name": "first.png", "hashes": hashes}])
    assert expected in message
    assert "files.0.hashes" in message


@pytest.mark.parametrize(
    "file",
    [
        {"file_name": "x.png", "classification": "C1"},
        {"file_name": "x.png", "annotations": ["cute"]},
        {"file_name": "x.png", "relevance": "Supplemental Reported", "classification": "A2"},
        {
            "file_name": "x.png",
            "relevance": "Supplemental Reported",
            "annotations": ["potentialMeme"],
        },
    ],
)
def test_bad_file_vocabulary_is_refused(file) -> None:
    assert "files.0" in _problem(files=[file])


def test_two_files_with_one_name_are_refused() -> None:
    assert "its own file_name" in _problem(files=[{"file_name": "a.png"}, {"file_name": "a.png"}])


def test_the_reported_users_addresses_must_be_ip_addresses() -> None:
    user = copy.deepcopy(case_data()["reported_user"])
    user["ip_events"][0]["ip"] = "192.0.2.300"
    assert "ip_events.0.ip" in _problem(reported_user=user)


def test_check_lists_what_the_schema_refuses() -> None:
    xml = document.report_document(build())
    broken = xml.replace(b"<eventName>Upload</eventName>", b"<eventName>Uplode</eventName>")
    with pytest.raises(document.DocumentInvalid) as caught:
        document.check(broken, "REPORT.xml")
    assert "ipCaptureEvent[1]/eventName" in caught.value.message
    assert caught.value.message.startswith("REPORT.xml: ")

    without_reporter = fromstring(xml)
    reporter = without_reporter.find("reporter")
    assert reporter is not None
    without_reporter.remove(reporter)
    with pytest.raises(document.DocumentInvalid, match="reporter"):
        document.check(tostring(without_reporter))


def test_check_refuses_a_time_without_its_zone() -> None:
    xml = document.report_document(build()).replace(b"09:15:00Z", b"09:15:00")
    with pytest.raises(document.DocumentInvalid, match="incidentDateTime"):
        document.check(xml)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not xml", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><report>&e;</report>',
            "DOCTYPE",
        ),
        (b"<queryResult/>", "expected <report> or <fileDetails>"),
    ],
)
def test_check_refuses_what_is_not_a_report(data, expected) -> None:
    with pytest.raises(InvalidInput, match=expected):
        document.check(data)


def test_answers_are_read_both_ways() -> None:
    answer = document.Answer(0, "Success", "4564654", "b0754af766b426f2928a02c651ed4b99", "f" * 32)
    assert document.read_answer(document.answer_document(answer)) == answer
    done = document.Answer(0, "", "4564654", file_ids=["a", "b"])
    assert document.read_answer(document.answer_document(done, done=True)).file_ids == ["a", "b"]
    with pytest.raises(InvalidInput, match="responseCode"):
        document.read_answer(b"<reportResponse/>")
