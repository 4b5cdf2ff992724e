"""The item bank as a QTI 3.0 content package (a zip), to bring a bank from other tools.

    imsmanifest.xml          resources: the test and every item, with each item's version
                             and status as skillcard metadata
    assessment.xml           qti-assessment-test: one qti-assessment-section per topic, with
                             qti-selection (how many to draw) and qti-ordering (shuffled)
    items/<code>.xml         qti-assessment-item: one qti-choice-interaction, the key in
                             qti-correct-response, the explanation as qti-modal-feedback

A package is hostile until proven otherwise: XML is parsed by defusedxml with DTDs, entities
and external references forbidden (XXE, billion laughs); the zip is refused if it has too
many members, members larger than the caps or compressed beyond a plausible ratio (zip
bombs), or names that are absolute or climb out of the folder (path traversal). Members are
read into memory only, never extracted to disk.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

from skillcard.domain.assessment import OPTION_LETTERS, AssessmentSettings, Item
from skillcard.errors import InvalidInput

QTI = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
SC = "urn:skillcard:hse:1"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
MAX_PACKAGE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100  # XML compresses well, but not a thousandfold

ET.register_namespace("", QTI)


class PackageRefused(InvalidInput):
    code = "package_refused"


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


# -- writing --------------------------------------------------------------------------------
def write_package(settings: AssessmentSettings, items: list[Item], title: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("imsmanifest.xml", _manifest(items))
        package.writestr("assessment.xml", _test(settings, items, title))
        for item in items:
            package.writestr(f"items/{item.code}.xml", _item_xml(item))
    return out.getvalue()


def _bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _item_xml(item: Item) -> bytes:
    root = ET.Element(
        _q("qti-assessment-item"),
        {
            "identifier": item.code,
            "title": item.code,
            "adaptive": "false",
            "time-dependent": "false",
            "xml:lang": item.language,
        },
    )
    response = ET.SubElement(
        root,
        _q("qti-response-declaration"),
        {"identifier": "RESPONSE", "cardinality": "single", "base-type": "identifier"},
    )
    correct = ET.SubElement(response, _q("qti-correct-response"))
    ET.SubElement(correct, _q("qti-value")).text = OPTION_LETTERS[item.key]
    for name in ("SCORE", "FEEDBACK"):
        ET.SubElement(
            root,
            _q("qti-outcome-declaration"),
            {
                "identifier": name,
                "cardinality": "single",
                "base-type": "float" if name == "SCORE" else "identifier",
            },
        )
    body = ET.SubElement(root, _q("qti-item-body"))
    choice = ET.SubElement(
        body,
        _q("qti-choice-interaction"),
        {"response-identifier": "RESPONSE", "shuffle": "true", "max-choices": "1"},
    )
    ET.SubElement(choice, _q("qti-prompt")).text = item.stem
    for letter, text in zip(OPTION_LETTERS, item.options, strict=False):
        ET.SubElement(choice, _q("qti-simple-choice"), {"identifier": letter}).text = text
    ET.SubElement(root, _q("qti-response-processing"), {"template": MATCH_CORRECT})
    feedback = ET.SubElement(
        root,
        _q("qti-modal-feedback"),
        {"outcome-identifier": "FEEDBACK", "identifier": "EXPLANATION", "show-hide": "show"},
    )
    ET.SubElement(feedback, _q("qti-content-body")).text = item.explanation
    return _bytes(root)


def _test(settings: AssessmentSettings, items: list[Item], title: str) -> bytes:
    root = ET.Element(_q("qti-assessment-test"), {"identifier": "HSE", "title": title})
    ET.SubElement(root, _q("qti-time-limits"), {"max-time": str(settings.duration_minutes * 60)})
    part = ET.SubElement(
        root,
        _q("qti-test-part"),
        {"identifier": "PART", "navigation-mode": "nonlinear", "submission-mode": "simultaneous"},
    )
    for topic in sorted(settings.topics):
        section = ET.SubElement(
            part,
            _q("qti-assessment-section"),
            {"identifier": topic, "title": settings.title_of(topic), "visible": "false"},
        )
        ET.SubElement(section, _q("qti-selection"), {"select": str(settings.topics[topic])})
        ET.SubElement(section, _q("qti-ordering"), {"shuffle": "true"})
        for item in (i for i in items if i.topic == topic):
            ET.SubElement(
                section,
                _q("qti-assessment-item-ref"),
                {"identifier": item.code, "href": f"items/{item.code}.xml"},
            )
    return _bytes(root)


def _manifest(items: list[Item]) -> bytes:
    root = ET.Element(f"{{{CP}}}manifest", {"identifier": "skillcard-hse-bank"})
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    ET.SubElement(
        resources,
        f"{{{CP}}}resource",
        {"identifier": "TEST", "type": "imsqti_test_xmlv3p0", "href": "assessment.xml"},
    )
    for item in items:
        resource = ET.SubElement(
            resources,
            f"{{{CP}}}resource",
            {
                "identifier": item.code,
                "type": "imsqti_item_xmlv3p0",
                "href": f"items/{item.code}.xml",
            },
        )
        meta = ET.SubElement(resource, f"{{{CP}}}metadata")
        ET.SubElement(meta, f"{{{SC}}}version").text = str(item.version)
        ET.SubElement(meta, f"{{{SC}}}status").text = item.status
    return _bytes(root)


# -- reading --------------------------------------------------------------------------------
def read_package(data: bytes) -> tuple[list[Item], dict[str, int]]:
    """The items of a package and the test's topic counts; PackageRefused for anything off."""
    members = _members(data)
    manifest = _xml(members, "imsmanifest.xml")
    meta: dict[str, tuple[int, str]] = {}
    for resource in manifest.iter(f"{{{CP}}}resource"):
        version = resource.findtext(f".//{{{SC}}}version") or "1"
        status = resource.findtext(f".//{{{SC}}}status") or "live"
        try:
            meta[resource.get("href", "")] = (int(version), status.strip())
        except ValueError:
            raise PackageRefused(f"{resource.get('href')}: the version is not a number") from None
    test = _xml(members, "assessment.xml")
    items: list[Item] = []
    counts: dict[str, int] = {}
    for section in test.iter(_q("qti-assessment-section")):
        topic = section.get("identifier", "")
        selection = section.find(_q("qti-selection"))
        try:
            counts[topic] = int(selection.get("select", "")) if selection is not None else 0
        except (TypeError, ValueError):
            raise PackageRefused(f"section {topic}: qti-selection needs a number") from None
        for ref in section.iter(_q("qti-assessment-item-ref")):
            href = _safe_name(ref.get("href", ""))
            item_version, item_status = meta.get(href, (1, "live"))
            items.append(_item(_xml(members, href), href, topic, item_version, item_status))
    if not items:
        raise PackageRefused("the package's test lists no items")
    return items, counts


def _item(root: ET.Element, href: str, topic: str, version: int, status: str) -> Item:
    choice = root.find(f".//{_q('qti-choice-interaction')}")
    if root.tag != _q("qti-assessment-item") or choice is None:
        raise PackageRefused(f"{href}: not a QTI 3.0 choice-interaction item")
    letters, options = [], []
    for simple in choice.iter(_q("qti-simple-choice")):
        letters.append(simple.get("identifier", ""))
        options.append("".join(simple.itertext()))
    correct = root.findtext(f".//{_q('qti-correct-response')}/{_q('qti-value')}")
    if not correct or correct.strip() not in letters:
        raise PackageRefused(f"{href}: the correct response is not one of the choices")
    prompt = choice.find(_q("qti-prompt"))
    try:
        return Item(
            code=root.get("identifier", ""),
            version=version,
            topic=topic,
            stem="".join(prompt.itertext()) if prompt is not None else "",
            options=options,
            key=letters.index(correct.strip()),
            explanation=" ".join(
                "".join(f.itertext()) for f in root.iter(_q("qti-modal-feedback"))
            ).strip(),
            status=status,
            language=root.get("{http://www.w3.org/XML/1998/namespace}lang", "en"),
        )
    except InvalidInput as error:
        raise PackageRefused(f"{href}: {error.message}") from None


def _safe_name(name: str) -> str:
    """A member name inside the package's folder, or PackageRefused."""
    clean = posixpath.normpath(name.replace("\\", "/")) if name else ""
    if (
        not name
        or name.startswith(("/", "\\"))
        or ":" in name
        or clean.startswith("..")
        or "/../" in f"/{name.replace(chr(92), '/')}/"
    ):
        raise PackageRefused(f"{name[:80]!r} is a path outside the package: refused")
    return clean


def _members(data: bytes) -> dict[str, bytes]:
    if len(data) > MAX_PACKAGE_BYTES:
        raise PackageRefused(f"the package is larger than {MAX_PACKAGE_BYTES // 2**20} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageRefused("the file is not a zip package") from None
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise PackageRefused(f"the package has more than {MAX_MEMBERS} files")
    members, total = {}, 0
    for info in infos:
        name = _safe_name(info.filename)
        if info.is_dir():
            continue
        if info.file_size > MAX_MEMBER_BYTES or (
            info.compress_size and info.file_size / info.compress_size > MAX_RATIO
        ):
            raise PackageRefused(f"{name} expands too far: the package looks like a zip bomb")
        with archive.open(info) as member:  # the header may lie: read no more than the cap
            content = member.read(MAX_MEMBER_BYTES + 1)
        if len(content) > MAX_MEMBER_BYTES:
            raise PackageRefused(f"{name} expands too far: the package looks like a zip bomb")
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise PackageRefused("the package expands too far: it looks like a zip bomb")
        members[name] = content
    return members


def _xml(members: dict[str, bytes], name: str) -> ET.Element:
    if name not in members:
        raise PackageRefused(f"the package has no {name}")
    try:
        return safe_fromstring(
            members[name], forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise PackageRefused(
            f"{name} declares a DTD or XML entities, which are not allowed (XXE)"
        ) from None
    except ParseError as error:
        raise PackageRefused(f"{name} is not well-formed XML: {error}") from None
