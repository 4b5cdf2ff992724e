"""``skillcard import`` and ``skillcard connector create`` (issue 17 item 1)."""

from __future__ import annotations

import json


def test_import_from_the_command_line_twice_and_a_refused_file(
    cli, registry, uow_factory, tmp_path
):
    with uow_factory() as uow:
        fmt = uow.schemes.by_code("ECS").number_format
    rows = [
        {"scheme": "ECS", "number": fmt.number_for(700_000 + i), "version": 1,
         "holder_ref": f"R{i}", "given_names": "Fay", "surname": "Lee", "card_type": "GOLD",
         "issued_on": "2026-01-01", "expires_on": "2029-01-01", "status": "active"}
        for i in range(5)
    ]  # fmt: skip
    source = tmp_path / "cards.ndjson"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = cli("import", "ECS", str(source), "--json", "-o", str(tmp_path / "r.csv"))
    assert code == 0, out
    assert json.loads(out)["created"] == 5
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 6
    code, out, _ = cli("import", "ECS", str(source), "--json")
    assert (code, json.loads(out)["unchanged"]) == (0, 5)
    source.write_text("".join(json.dumps(r) + "\n" for r in rows + rows[:1]))
    code, out, _ = cli("import", "ECS", str(source), "--json")
    assert code == 2 and json.loads(out)["status"] == "refused"
    code, out, _ = cli("connector", "create", "ECS", "cardsys", "--json")
    assert code == 0 and json.loads(out)["token"]
