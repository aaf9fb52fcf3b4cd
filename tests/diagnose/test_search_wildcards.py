"""A search box finds what was typed: % and _ are letters to look for, not LIKE's wildcards.

Before, `%` listed every enterprise and `_` matched any one character, so a provider looking for
"华_星" saw "华新星"-like names it never typed. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlmodel import Session

from diagnose.services.accounts import directory
from diagnose.services.diagnosis import sme
from tests import factories


def test_directory_search_takes_percent_and_underscore_literally(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        factories.enterprise(session, serial=1, name="常州华新星精密机械有限公司")
        factories.enterprise(session, serial=2, name="常州华_星电子有限公司")
        factories.enterprise(session, serial=3, name="常州百分之百%塑业有限公司")
        session.commit()

        def found(query: str) -> list[str]:
            return sorted(
                e.name for e in directory.search(session=session, kind="enterprises", query=query).items
            )

        assert found("华_星") == ["常州华_星电子有限公司"]
        assert found("%") == ["常州百分之百%塑业有限公司"]
        assert found("精密") == ["常州华新星精密机械有限公司"]
        assert found("常州") == sorted(
            ["常州华新星精密机械有限公司", "常州华_星电子有限公司", "常州百分之百%塑业有限公司"]
        )


def test_pilot_search_takes_percent_and_underscore_literally(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        factories.enterprise(session, serial=1, name="太仓华新星食品有限公司", region="320585")
        factories.enterprise(session, serial=2, name="太仓华_星食品有限公司", region="320585")
        session.commit()
        page = sme.pilot_page(session=session, region_codes=["320585"], query="_")
        assert [row.enterprise.name for row in page.items] == ["太仓华_星食品有限公司"]
        assert sme.pilot_page(session=session, region_codes=["320585"], query="%").items == []
