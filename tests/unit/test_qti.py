"""QTI 3.0 packages of the item bank: round trip and hostile packages (issue 5)."""

from __future__ import annotations

import io
import zipfile

import pytest

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.qti import PackageRefused, read_package, write_package
from skillcard.domain.assessment import AssessmentSettings

SETTINGS = AssessmentSettings()


def package(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return out.getvalue()


def test_the_demo_bank_survives_a_round_trip_unchanged():
    items = demo_items()
    data = write_package(SETTINGS, items, "HSE")
    back, counts = read_package(data)

    def whole(bank):
        return sorted((*i.content(), i.version, i.status, i.language) for i in bank)

    assert len(back) == len(items) and whole(back) == whole(items)
    assert counts == SETTINGS.topics


def test_the_test_uses_one_section_per_topic_with_selection_and_ordering():
    data = write_package(SETTINGS, demo_items(), "HSE")
    test = zipfile.ZipFile(io.BytesIO(data)).read("assessment.xml").decode()
    assert test.count("<qti-assessment-section") == 11
    assert '<qti-selection select="9"' in test and '<qti-ordering shuffle="true"' in test
    item = zipfile.ZipFile(io.BytesIO(data)).read("items/HSE-FIR-002.xml").decode()
    assert "qti-choice-interaction" in item and "<qti-correct-response>" in item


def test_names_and_text_with_markup_characters_are_escaped():
    item = demo_items()[0]
    item.stem = 'Is <b>this</b> & "that" safe?'
    back, _ = read_package(write_package(SETTINGS, [item], "HSE"))
    assert back[0].stem == item.stem


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<manifest>&x;</manifest>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<manifest>&b;</manifest>"""


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_entities_are_refused(xml):
    with pytest.raises(PackageRefused, match="entities"):
        read_package(package(**{"imsmanifest.xml": xml}))


def test_a_zip_bomb_is_refused_before_it_is_expanded():
    bomb = b"\0" * (50 * 1024 * 1024)
    with pytest.raises(PackageRefused, match="zip bomb"):
        read_package(package(**{"imsmanifest.xml": bomb}))


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "items/../../x.xml", "C:\\x.xml"])
def test_paths_outside_the_package_are_refused(name):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, b"<x/>")
    with pytest.raises(PackageRefused, match="outside the package"):
        read_package(out.getvalue())


def test_an_item_ref_climbing_out_of_the_package_is_refused():
    good = write_package(SETTINGS, demo_items()[:1], "HSE")
    members = {
        n: zipfile.ZipFile(io.BytesIO(good)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(good)).namelist()
    }
    members["assessment.xml"] = members["assessment.xml"].replace(
        b'href="items/', b'href="../../items/'
    )
    with pytest.raises(PackageRefused, match="outside"):
        read_package(package(**{n.replace("/", "__"): d for n, d in members.items()}))


def test_not_a_zip_and_a_key_that_is_not_a_choice_are_refused():
    with pytest.raises(PackageRefused, match="not a zip"):
        read_package(b"PK\x03\x04 but not really")
    good = write_package(SETTINGS, demo_items()[:1], "HSE")
    archive = zipfile.ZipFile(io.BytesIO(good))
    members = {n.replace("/", "__"): archive.read(n) for n in archive.namelist()}
    name = next(n for n in members if n.startswith("items__"))
    members[name] = members[name].replace(b"<qti-value>", b"<qti-value>Z")
    with pytest.raises(PackageRefused, match="correct response"):
        read_package(package(**members))
