"""Countries by name (issue 15, "Words, not codes")."""

from __future__ import annotations

from jinja2 import Environment

from alliance.countries import display_name
from alliance.web.labels import REGISTERED_COUNTRIES, country, country_choices


def test_a_code_reads_as_the_registered_name_then_the_iso_name_then_itself() -> None:
    assert display_name("NL") == "Netherlands" and display_name("nl") == "Netherlands"
    assert display_name("NL", {"NL": "The Netherlands"}) == "The Netherlands"
    assert display_name("KR") == "South Korea" and display_name("XK") == "Kosovo"
    assert display_name("QQ") == "QQ" and display_name(None) == "—"


def test_the_filter_and_the_select_options() -> None:
    env = Environment(autoescape=True)
    env.filters["country"] = country
    template = env.from_string('{{ c|country }} / {{ cs|map("country")|join(", ") }}')
    lazy = {REGISTERED_COUNTRIES: lambda: {"BE": "Belgium (registered)"}}
    assert template.render(c="DE", cs=["BE", "QQ"], **lazy) == "Germany / Belgium (registered), QQ"
    assert template.render(c=None, cs=[]) == "— / "
    assert country_choices(["SE", "de", None, "DE"]) == [("DE", "Germany"), ("SE", "Sweden")]
