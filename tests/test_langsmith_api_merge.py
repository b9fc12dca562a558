"""Posts, patches, feedback and attachments of a run merged whatever order and requests they
come in; runs never patched go out unfinished at the TTL, and everything is counted."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from otel_runs.receiver.langsmith_api.items import ATTACHMENT, FEEDBACK, PATCH, POST, Item
from otel_runs.receiver.langsmith_api.merge import Ready, RunMerger

ROOT = "0192f0a0-0000-7000-8000-000000000001"
CHILD = "0192f0a0-0000-7000-8000-000000000002"
START = "2025-03-01T00:00:00+00:00"
END = "2025-03-01T00:00:02+00:00"


def a_post(run_id: str = ROOT, **fields: Any) -> dict[str, Any]:
    run = {"id": run_id, "name": "agent", "run_type": "chain", "start_time": START,
           "trace_id": ROOT, "dotted_order": "20250301T000000000000Z" + ROOT,
           "inputs": {"q": "hi"}, "extra": {"metadata": {"a": 1}}}  # fmt: skip
    run.update(fields)
    return run


def a_patch(run_id: str = ROOT, **fields: Any) -> dict[str, Any]:
    run = {"id": run_id, "trace_id": ROOT, "name": None, "end_time": END,
           "outputs": {"answer": "yo"}, "extra": {"metadata": {"b": 2}}}  # fmt: skip
    run.update(fields)
    return run


class Feed:
    """Items to a merger as rows would give them: one location per item, a clock."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("settle_s", 0.0)
        self.merger = RunMerger(**options)
        self.seq = 0
        self.resolved: list[tuple[int, int]] = []

    def add(self, at: float, *items: Item) -> None:
        self.seq += 1
        for index, item in enumerate(items):
            self.resolved += self.merger.add(item, (self.seq, index), at)

    def take(self, now: float, *, drain: bool = False) -> list[Ready]:
        ready, dropped = self.merger.take(now, drain=drain)
        self.resolved += dropped
        return ready


def test_a_post_and_its_patch_in_two_requests_become_one_finished_run() -> None:
    feed = Feed()
    feed.add(0.0, (POST, ROOT, a_post()))
    assert feed.take(1.0) == []  # not finished: it waits
    feed.add(2.0, (PATCH, ROOT, a_patch()))
    [ready] = feed.take(2.0)
    assert ready.run == {
        **a_post(), "end_time": END, "outputs": {"answer": "yo"},
        "extra": {"metadata": {"a": 1, "b": 2}},  # merged key by key; the null name left alone
    }  # fmt: skip
    assert ready.locs == [(1, 0), (2, 0)]
    assert feed.merger.counts.completed == 1 and feed.merger.open == 0


def test_a_patch_before_its_post_waits_for_it() -> None:
    feed = Feed()
    feed.add(0.0, (PATCH, ROOT, a_patch()))
    assert feed.take(10.0) == []
    feed.add(11.0, (POST, ROOT, a_post()))
    [ready] = feed.take(11.0)
    assert ready.run["outputs"] == {"answer": "yo"} and ready.run["inputs"] == {"q": "hi"}
    assert ready.run["end_time"] == END


def test_a_post_with_its_end_time_needs_no_patch() -> None:
    feed = Feed()
    feed.add(0.0, (POST, ROOT, a_post(end_time=END)))
    assert [r.run["end_time"] for r in feed.take(0.0)] == [END]


def test_a_complete_run_waits_the_settle_time_for_feedback() -> None:
    feed = Feed(settle_s=2.0)
    feed.add(0.0, (POST, ROOT, a_post(end_time=END)))
    assert feed.take(1.9) == []
    feedback = {"id": "f1", "run_id": ROOT, "key": "helpful", "score": 1, "comment": "nice",
                "value": "yes", "created_at": "2025-03-01T00:00:05+00:00"}  # fmt: skip
    feed.add(1.0, (FEEDBACK, ROOT, feedback))
    [ready] = feed.take(2.0)
    [event] = ready.run["events"]
    assert event == {
        "name": "gen_ai.evaluation.result",
        "time": "2025-03-01T00:00:05+00:00",
        "kwargs": {
            "gen_ai.evaluation.name": "helpful",
            "gen_ai.evaluation.score.value": 1.0,
            "gen_ai.evaluation.score.label": "yes",
            "gen_ai.evaluation.explanation": "nice",
            "langsmith.feedback": feedback,
        },
    }
    assert feed.merger.counts.feedback_joined == 1


def test_feedback_sent_before_its_run_joins_it() -> None:
    feed = Feed()
    feed.add(0.0, (FEEDBACK, ROOT, {"id": "f", "run_id": ROOT, "key": "k"}))
    feed.add(1.0, (POST, ROOT, a_post(end_time=END, events=[{"name": "new_token"}])))
    [ready] = feed.take(1.0)
    assert [e["name"] for e in ready.run["events"]] == ["new_token", "gen_ai.evaluation.result"]
    assert ready.run["events"][1]["time"] == "1970-01-01T00:00:00.000000+00:00"  # its arrival


def test_attachments_become_the_runs_attachments_field() -> None:
    feed = Feed()
    feed.add(0.0, (ATTACHMENT, ROOT, ("photo", "image/png", b"\x89PNG\x00")))
    feed.add(0.0, (POST, ROOT, a_post(end_time=END)))
    [ready] = feed.take(0.0)
    assert ready.run["attachments"] == {
        "photo": {"mime_type": "image/png", "content": base64.b64encode(b"\x89PNG\x00").decode()}
    }


def test_a_run_never_patched_goes_out_unfinished_at_the_ttl_and_is_counted() -> None:
    feed = Feed(ttl_s=60.0)
    feed.add(0.0, (POST, ROOT, a_post()))
    assert feed.take(59.0) == []
    [ready] = feed.take(60.0)
    assert "end_time" not in ready.run and ready.locs == [(1, 0)]
    assert feed.merger.counts.unfinished == 1 and feed.merger.open == 0


def test_a_late_patch_finishes_a_run_that_went_out_unfinished() -> None:
    feed = Feed(ttl_s=60.0)
    feed.add(0.0, (POST, ROOT, a_post()))
    feed.take(60.0)
    feed.add(61.0, (PATCH, ROOT, a_patch()))
    [ready] = feed.take(61.0)
    assert ready.run["end_time"] == END and ready.run["inputs"] == {"q": "hi"}
    assert ready.locs == [(2, 0)]
    assert feed.merger.counts.finished_late == 1


def test_what_comes_after_a_finished_run_went_out_is_resolved_and_counted() -> None:
    feed = Feed()
    feed.add(0.0, (POST, ROOT, a_post(end_time=END)))
    feed.take(0.0)
    feed.add(1.0, (POST, ROOT, a_post(end_time=END)), (PATCH, ROOT, a_patch()),
             (FEEDBACK, ROOT, {"id": "f", "run_id": ROOT, "key": "k"}),
             (ATTACHMENT, ROOT, ("a", "text/plain", b"x")))  # fmt: skip
    assert feed.take(1.0) == []
    assert feed.resolved == [(2, 0), (2, 1), (2, 2), (2, 3)]
    counts = feed.merger.counts
    assert (counts.duplicates, counts.late_updates, counts.feedback_late,
            counts.attachments_late) == (1, 1, 1, 1)  # fmt: skip


def test_patches_alone_make_a_run_at_the_ttl_when_they_say_enough() -> None:
    feed = Feed(ttl_s=60.0)
    full = a_patch(name="agent", run_type="chain", start_time=START)
    feed.add(0.0, (PATCH, ROOT, full), (PATCH, CHILD, a_patch(CHILD)))
    [ready] = feed.take(60.0)
    assert ready.run["name"] == "agent"
    assert feed.resolved == [(1, 1)]  # the child's patch says too little: given up
    counts = feed.merger.counts
    assert (counts.patch_only, counts.incomplete) == (1, 1)


def test_feedback_whose_run_never_comes_is_given_up_at_the_ttl() -> None:
    feed = Feed(ttl_s=60.0)
    feed.add(0.0, (FEEDBACK, ROOT, {"id": "f", "run_id": ROOT, "key": "k"}))
    assert feed.take(60.0) == []
    assert feed.resolved == [(1, 0)] and feed.merger.counts.feedback_unjoined == 1


def test_a_post_sent_again_while_open_replaces_the_first() -> None:
    feed = Feed()
    feed.add(0.0, (POST, ROOT, a_post(name="first")))
    feed.add(0.0, (POST, ROOT, a_post(name="second", end_time=END)))
    [ready] = feed.take(0.0)
    assert ready.run["name"] == "second" and ready.locs == [(1, 0), (2, 0)]
    assert feed.merger.counts.resent == 1


def test_over_the_cap_the_oldest_open_run_goes_first() -> None:
    feed = Feed(max_open=1, ttl_s=600.0)
    feed.add(0.0, (POST, ROOT, a_post()))
    feed.add(1.0, (POST, CHILD, a_post(CHILD)))
    [ready] = feed.take(1.0)
    assert ready.run["id"] == ROOT
    assert feed.merger.counts.evicted == 1 and feed.merger.open == 1


def test_draining_sends_complete_runs_at_once_and_keeps_open_ones() -> None:
    feed = Feed(settle_s=30.0, ttl_s=1.0)
    feed.add(0.0, (POST, ROOT, a_post(end_time=END)), (POST, CHILD, a_post(CHILD)))
    assert [r.run["id"] for r in feed.take(100.0, drain=True)] == [ROOT]
    assert feed.merger.open == 1 and feed.resolved == []


def test_runs_posted_without_ids_get_them_from_their_parent() -> None:
    feed = Feed()
    root = {"id": ROOT, "name": "a", "run_type": "chain", "start_time": "2025-03-01T00:00:01Z"}
    child = {"id": CHILD, "name": "b", "run_type": "llm", "parent_run_id": ROOT,
             "start_time": "2025-03-01T00:00:00.5Z", "end_time": END}  # skewed clock
    feed.add(0.0, (POST, ROOT, root), (POST, CHILD, child))  # fmt: skip
    [ready] = feed.take(0.0)
    assert ready.run["trace_id"] == ROOT
    assert ready.run["dotted_order"] == (
        f"20250301T000001000000Z{ROOT}.20250301T000001000000Z{CHILD}"  # clamped to the parent
    )


def test_wait_says_when_the_next_deadline_is() -> None:
    feed = Feed(settle_s=2.0, ttl_s=60.0)
    assert feed.merger.wait_s(0.0) is None
    feed.add(10.0, (POST, ROOT, a_post()))
    assert feed.merger.wait_s(10.0) == 60.0
    feed.add(11.0, (PATCH, ROOT, a_patch()))
    assert feed.merger.wait_s(11.0) == 2.0


# --- any order, any split into requests: the same run -----------------------------------------

ITEMS: list[Item] = [
    (POST, ROOT, a_post()),
    (PATCH, ROOT, a_patch(outputs={"answer": "first"}, end_time=None)),
    (PATCH, ROOT, a_patch()),
    (FEEDBACK, ROOT, {"id": "f1", "run_id": ROOT, "key": "k", "created_at": END}),
    (ATTACHMENT, ROOT, ("a", "text/plain", b"hello")),
]


@given(st.permutations(range(len(ITEMS))), st.lists(st.booleans(), min_size=5, max_size=5))
def test_any_arrival_order_and_split_gives_the_same_run(
    order: list[int], cuts: list[bool]
) -> None:
    feed = Feed()
    rows: list[list[Item]] = [[]]
    for index, cut in zip(order, cuts, strict=True):
        rows[-1].append(ITEMS[index])
        if cut:
            rows.append([])
    at = 0.0
    ready: list[Ready] = []
    for row in rows:
        if row:
            feed.add(at, *row)
            at += 1.0
    ready = feed.take(at) + feed.take(at + 1000.0)
    [one] = ready
    # The patches apply in their order of arrival: the one with the end time wins the outputs
    # only when it came last among them.
    second_patch_last = order.index(2) > order.index(1)
    assert one.run["outputs"] == {"answer": "yo" if second_patch_last else "first"}
    assert one.run["end_time"] == END and one.run["inputs"] == {"q": "hi"}
    assert one.run["extra"] == {"metadata": {"a": 1, "b": 2}}
    assert [e["kwargs"]["gen_ai.evaluation.name"] for e in one.run["events"]] == ["k"]
    assert set(one.run["attachments"]) == {"a"}
    assert sorted(one.locs) == sorted(
        (row, i) for row, items in enumerate((r for r in rows if r), 1) for i in range(len(items))
    )
    assert feed.merger.counts.completed == 1 and feed.merger.open == 0
