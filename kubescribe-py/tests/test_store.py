"""The event store from Python: ingest files and records, query, review, context."""

import json

import pytest

import kubescribe
from conftest import EVENTS


def test_ingest_files_reports_what_was_stored_and_skipped(tmp_path):
    with kubescribe.EventStore(tmp_path / "k.db") as store:
        s = store.ingest_files(EVENTS / "falco.jsonl")
        assert (s["records_read"], s["records_stored"]) == (6, 5)
        assert s["skipped"] == {"not-runtime-activity": 1}
        assert s["events_stored"] == {"file": 2, "network": 1, "process": 5}
        assert s["errors"][0]["line"] == 5
        assert s["records_skipped"] == 1
        again = store.ingest_files(EVENTS / "falco.jsonl")
        assert again["files_already_ingested"] == 1 and again["records_stored"] == 0
        assert len(store.events("processes")) == 4
        assert store.counts()["ingested_files"] == 1
    with pytest.raises(kubescribe.StoreError, match="closed"):
        store.counts()
    # The file persists and is what the CLI reads.
    reopened = kubescribe.EventStore.open(tmp_path / "k.db")
    assert len(reopened.events("processes")) == 4
    assert str(reopened.path).endswith("k.db")


def test_ingest_iterables_of_dicts_and_json_lines_equals_the_file():
    lines = [l for l in (EVENTS / "tetragon.jsonl").read_text().splitlines() if l.strip()]
    from_file = kubescribe.EventStore()
    fs = from_file.ingest_files(EVENTS / "tetragon.jsonl")
    dicts = kubescribe.EventStore()
    parsed = []
    for l in lines:
        try:
            parsed.append(json.loads(l))
        except json.JSONDecodeError:
            parsed.append(l)  # keep malformed lines as text: they must be reported, not dropped
    ds = dicts.ingest(iter(parsed), name="tetragon-stream")
    assert (ds["records_read"], ds["records_stored"]) == (fs["records_read"], fs["records_stored"]) == (7, 6)
    assert ds["events_stored"] == fs["events_stored"]
    assert dicts.counts() == {**from_file.counts(), "ingested_files": dicts.counts()["ingested_files"]}
    text = kubescribe.EventStore()
    ts = text.ingest(lines)
    assert ts["records_stored"] == 6
    bad = kubescribe.EventStore().ingest(['{"not": "an event"}', "{cut"])
    assert bad["records_stored"] == 0 and sum(bad["skipped"].values()) == 2
    assert {e["line"] for e in bad["errors"]} == {1, 2}
    with pytest.raises(TypeError):
        kubescribe.EventStore().ingest([1, 2])


def test_queries_review_and_context(shop_store):
    files = shop_store.events("files", namespace="shop", selector={"app": "db"})
    assert files and all(r["event"]["pod"]["labels"]["app"] == "db" for r in files)
    assert shop_store.events("files", selector="app=db") == files
    assert len(shop_store.events("files", limit=1)) == 1
    ids = [r["id"] for r in files]
    assert shop_store.approve("files", ids) == len(ids)
    assert shop_store.deny("files", ids[0]) == 1
    assert shop_store.approve("files", 10**9) == 0
    approved = shop_store.events("files", validity="approved")
    assert {r["id"] for r in approved} == set(ids[1:])
    assert [r["id"] for r in shop_store.events("files", validity="denied")] == [ids[0]]
    with pytest.raises(kubescribe.ArgumentError, match="expected one of"):
        shop_store.events("nope")  # type: ignore[arg-type]
    w = shop_store.workloads("shop")
    assert {x["name"] for x in w} >= {"web"}
    ctx = shop_store.context(namespace="shop", selector={"app": "db"})
    assert ctx.observations > 0 and ctx.namespace == "shop" and ctx.selector == {"app": "db"}
    text = ctx.render()
    assert text.startswith('Observed behaviour of workloads {"app":"db"} in namespace "shop"')
    assert '"/usr/sbin/mysqld"' in text
    assert ctx.tokens <= 400
    d = ctx.to_dict()
    assert d["observations"] == ctx.observations and d["binaries"]
    small = shop_store.context(namespace="shop", selector={"app": "db"}, per_kind=1)
    assert len(small.to_dict()["files"]) <= 1
    assert "observations:" in ctx.to_yaml()
