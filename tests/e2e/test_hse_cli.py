"""``skillcard hse import`` / ``export``: a QTI round trip gives an identical bank (issue 5)."""

from __future__ import annotations

import io
import json
import zipfile

from skillcard.services.hse import hse_bank
from tests.factories import OPERATOR


def bank_of(uow_factory):
    _settings, items = hse_bank.bank(uow=uow_factory(), who=OPERATOR)
    return sorted((*i.content(), i.version, i.status) for i in items)


def test_export_then_import_gives_an_identical_bank(cli, tmp_path, uow_factory, engine):
    code, out, err = cli("hse", "import", "--demo", "--json")
    assert code == 0, err
    assert json.loads(out)["added"] >= 110
    before = bank_of(uow_factory)
    exported = tmp_path / "bank.zip"
    code, out, err = cli("hse", "export", "-o", str(exported))
    assert code == 0, err
    code, out, err = cli("hse", "import", str(exported), "--json")
    assert code == 0 and json.loads(out) == {"added": 0, "revised": 0, "unchanged": len(before)}
    assert bank_of(uow_factory) == before
    # An edited item in a package becomes a new version; the old live one is retired.
    archive = zipfile.ZipFile(exported)
    out_zip = io.BytesIO()
    with zipfile.ZipFile(out_zip, "w") as edited:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "items/HSE-PPE-001.xml":
                data = data.replace(b"free of charge", b"free of charge to the worker")
            edited.writestr(name, data)
    (tmp_path / "edited.zip").write_bytes(out_zip.getvalue())
    code, out, err = cli("hse", "import", str(tmp_path / "edited.zip"), "--json")
    assert code == 0 and json.loads(out)["revised"] == 1
    with uow_factory() as uow:
        versions = [(i.version, i.status) for i in uow.hse_items.versions("HSE-PPE-001")]
    assert versions == [(1, "retired"), (2, "live")]


def test_a_hostile_package_is_refused_and_changes_nothing(cli, tmp_path, uow_factory):
    cli("hse", "import", "--demo")
    before = bank_of(uow_factory)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/cron.d/x", b"* * * * * root true")
    code, _out, err = cli("hse", "import", str(evil))
    assert code == 2 and "outside the package" in err
    assert bank_of(uow_factory) == before
