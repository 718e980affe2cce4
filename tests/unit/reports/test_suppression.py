"""Small counts hidden outside their country: n = k - 1 hidden, n = k shown; the
country's own figures in full for it; an additive count never left alone beside its total;
the legal review's figures never hidden."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alliance.reports.schemas import Status, Value
from alliance.reports.suppression import for_reader

K = 5


def count(country: str | None, n: int) -> Value:
    return Value("victims.identified", country, "2025", float(n), n)


def shown(values: list[Value]) -> dict[tuple[str, str | None], float | None]:
    return {(v.indicator, v.country): v.value for v in values}


def test_n_below_k_hidden_at_k_shown_and_own_in_full() -> None:
    values = [
        Value("takedown.median_hours", "NL", "2025", 30.0, K - 1),
        Value("takedown.median_hours", "GB", "2025", 6.0, K),
        Value("takedown.median_hours", "FR", "2025", None, 0, Status.no_data),
        Value("legal.criteria_met", "NL", "2025", 5.0, 1),
    ]
    public = for_reader(values, k=K)
    assert shown(public) == {
        ("takedown.median_hours", "NL"): None,
        ("takedown.median_hours", "GB"): 6.0,
        ("takedown.median_hours", "FR"): None,
        ("legal.criteria_met", "NL"): 5.0,  # the legal review is public
    }
    hidden = public[0]
    assert (hidden.n, hidden.suppressed) == (None, "fewer than 5")
    assert public[2].status is Status.no_data and not public[2].suppressed
    assert shown(for_reader(values, k=K, own_country="NL"))[("takedown.median_hours", "NL")] == 30


def test_an_additive_count_is_never_alone_beside_its_total() -> None:
    # 20 alliance-wide: NL 11, GB 4, DE 3 and 2 without a country.
    values = [count(None, 20), count("NL", 11), count("GB", 4), count("DE", 3)]
    assert shown(for_reader(values, k=K)) == {
        ("victims.identified", None): 20,
        ("victims.identified", "NL"): 11,
        ("victims.identified", "GB"): None,
        ("victims.identified", "DE"): None,
    }
    # GB sees its own 4: DE would be alone, 20 - 11 - 4 - 2; NL's goes with it.
    assert shown(for_reader(values, k=K, own_country="GB")) == {
        ("victims.identified", None): 20,
        ("victims.identified", "NL"): None,
        ("victims.identified", "GB"): 4,
        ("victims.identified", "DE"): None,
    }


@given(st.lists(st.integers(0, 30), min_size=1, max_size=6), st.integers(0, 10))
def test_no_small_count_leaks_through_the_total(counts: list[int], rest: int) -> None:
    countries = [f"C{n}" for n in range(len(counts))]
    values = [count(None, sum(counts) + rest)] + [
        count(c, n) for c, n in zip(countries, counts, strict=True)
    ]
    public = for_reader(values, k=K)
    total, cells = public[0], public[1:]
    hidden = [v for v in cells if v.suppressed]
    if total.value is not None:
        assert len(hidden) != 1
    for cell, n in zip(cells, counts, strict=True):
        assert cell.suppressed or n >= K
