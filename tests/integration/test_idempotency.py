"""Idempotency and backfill: running any day twice, or a range of days in any order,
gives the same marts as running each day once in order.

The reference run (conftest) runs days 1, 2 and 3 in order. Here a fresh home runs
day 3 first, then day 1, then day 2 twice, each day extracted from a sandbox whose
"today" is the day after (what the platforms answered that day), loaded, built and
published; the marts must equal the reference's by content (wall-clock lineage aside).
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import DAYS

pytestmark = pytest.mark.integration

ORDER = (DAYS[2], DAYS[0], DAYS[1], DAYS[1])


@pytest.fixture(scope="module")
def backfilled(pipeline, tmp_path_factory):
    pipe = pipeline(tmp_path_factory.mktemp("backfill") / "data")
    marts = []
    for ds in ORDER:
        pipe.day(ds)
        marts.append(pipe.marts())
    return marts


def test_days_in_another_order_with_one_twice_give_the_marts_of_the_ordered_run(backfilled, reference_run):
    final = backfilled[-1]
    expected = reference_run["after"]
    assert sorted(final) == sorted(expected)
    differing = [t for t in expected if t not in KNOWN_ORDER_DEPENDENT and final[t] != expected[t]]
    assert differing == []


# rpt_token_health is not a function of the days loaded: it is each token as the API
# described it at the last call (README, "Token health"). A backfill calls the APIs again,
# and in this harness each day's sandbox lives at its own simulated "now" (the day after),
# so after days 3, 1, 2 the tokens are as of day 2's call, and after days 1, 2, 3 as of
# day 3's: both right for when they were asked. Its own tests: test_token_health*.py.
KNOWN_ORDER_DEPENDENT = {"rpt_token_health"}


def test_running_a_day_twice_changes_nothing(backfilled):
    assert backfilled[-1] == backfilled[-2]


def test_the_first_run_of_the_newest_day_alone_differs(backfilled, reference_run):
    """The comparison can fail: day 3 alone is not days 1 to 3."""
    assert backfilled[0] != reference_run["after"]
