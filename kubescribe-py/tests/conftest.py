"""Shared paths for the Python API tests (run against the installed wheel)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "kubescribe-events" / "tests" / "fixtures" / "events"
EXAMPLES = REPO / "examples"


@pytest.fixture
def shop_store():
    """An in-memory store holding the core crate's workload and event fixtures."""
    import kubescribe

    store = kubescribe.EventStore()
    store.ingest_files(EVENTS / "workloads.yaml", EVENTS / "kubearmor.jsonl", EVENTS / "tetragon.jsonl")
    return store


@pytest.fixture
def nginx_store():
    """An in-memory store holding the examples' shop workloads and nginx's KubeArmor events."""
    import kubescribe

    store = kubescribe.EventStore()
    store.ingest_files(EXAMPLES / "events" / "shop-workloads.yaml", EXAMPLES / "events" / "kubearmor-nginx.jsonl")
    return store
