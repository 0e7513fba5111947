"""Each service's writer tells where its time goes, by step of its groups (``/metrics``:
``hall_writer_seconds``): whether the store's round trips or the deciding hold batches up."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support import ADMIN, Desk, event

STEPS = {"lookup", "prepare", "decide", "write", "other"}


def writer_seconds(desk: Desk) -> dict[tuple[str, str], float]:
    text = desk.client.get("/metrics", headers=ADMIN).text
    return {
        (sample.labels["service"], sample.labels["step"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "hall_writer_seconds"
        for sample in family.samples
        if sample.name == "hall_writer_seconds_total"
    }


def test_each_writer_tells_the_time_of_every_step_of_its_groups(desk: Desk) -> None:
    # The registry is the process's: other tests' groups count too, so compare before and after.
    before = writer_seconds(desk)
    desk.record(event("case.accepted", "2026-000001"))
    desk.record(event("fee.assessed", "2026-000001"), by="CASHIER")
    after = writer_seconds(desk)

    for service in ("intake", "billing"):
        steps = {step for writer, step in after if writer == service}
        grown = {
            step
            for (writer, step), seconds in after.items()
            if writer == service and seconds > before.get((writer, step), 0.0)
        }
        assert steps == STEPS, service
        assert grown >= {"lookup", "decide", "write"}, service  # the steps that ask the store
