"""Every result type and exception pickles, deep-copies, compares by value
and hashes; reprs are Python; HTML and pandas views where a table is natural."""

import copy
import json
import pickle

import pytest

import kubescribe
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())
BLOCK = {"engine": "kubearmor", "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
         "domain": "file", "action": "block", "resources": {"paths": ["/etc/passwd"]}}
MISTAKES = EXAMPLES / "policies" / "invalid" / "kubearmor-mistakes.yaml"


def results(store):
    """One object of each result type (two different ones where it is cheap)."""
    [report] = kubescribe.validate(MISTAKES)
    [good] = kubescribe.validate(EXAMPLES / "policies" / "kubearmor-nginx-www.yaml")
    policy = kubescribe.synthesize(NGINX)
    netpol = kubescribe.parse_policies(EXAMPLES / "policies" / "network-shop.yaml")[0]
    scores = kubescribe.score_batch(["a cat sat", "the dog"], ["a cat sat down", "a dog"], ids=["x", 7])
    return {
        "Diagnostic": [report.diagnostics[0], report.diagnostics[1]],
        "Report": [report, good],
        "Policy": [policy, kubescribe.synthesize(BLOCK)],
        "Intent": [kubescribe.Intent.from_dict(NGINX), kubescribe.Intent.from_dict(BLOCK)],
        "ParsedIntent": [kubescribe.parse_intent("block writes to /etc/passwd for app=nginx in namespace shop")],
        "Prompt": [kubescribe.build_prompt(NGINX), kubescribe.build_prompt(NGINX, template="few-shot", store=store)],
        "Conversion": [kubescribe.convert(netpol, "calico"),
                       kubescribe.convert(EXAMPLES / "policies" / "calico-db-ordered.yaml", "kubernetes")],
        "BatchScores": [scores, kubescribe.score_batch(["x"], ["y"])],
        "PipelineResult": [
            kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=2).run(NGINX, store=store),
            kubescribe.Pipeline(kubescribe.Generator.replay({"p": "kind: Nope"}), max_attempts=2).run(NGINX),
        ],
        "Simulation": [kubescribe.simulate(kubescribe.synthesize(BLOCK), store=store, namespace="shop"),
                       kubescribe.simulate(policy, store=store, namespace="shop")],
        "Context": [store.context(namespace="shop", selector={"app": "nginx"}), store.context(namespace="shop", per_kind=1)],
        "Dataset": [kubescribe.build_dataset([EXAMPLES / "policies"], store=store, seed=1, augment=1),
                    kubescribe.build_dataset([EXAMPLES / "policies"], seed=2, augment=1, templates=["minimal"])],
    }


def test_every_result_type_pickles_deep_copies_compares_and_hashes(nginx_store):
    objs = results(nginx_store)
    exported = {n for n in kubescribe.__all__ if isinstance(getattr(kubescribe, n), type)}
    assert set(objs) <= exported
    for name, values in objs.items():
        for v in values:
            assert type(v).__name__ == name
            for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
                back = pickle.loads(pickle.dumps(v, protocol=protocol))
                assert type(back) is type(v) and back == v and hash(back) == hash(v), (name, protocol)
                assert back is not v
            assert copy.deepcopy(v) == v and copy.copy(v) == v
            assert repr(copy.deepcopy(v)) == repr(v)
            assert v != object() and (v == 1) is False
            assert {v, copy.deepcopy(v)} == {v}
        if len(values) == 2:
            a, b = values
            assert a != b and not (a == b), name
    # Rebuilt objects keep working, not just comparing.
    p = pickle.loads(pickle.dumps(objs["Policy"][0]))
    assert p.to_yaml() == objs["Policy"][0].to_yaml()
    r = pickle.loads(pickle.dumps(objs["Report"][0]))
    assert [d.suggestion for d in r.diagnostics] == [d.suggestion for d in objs["Report"][0].diagnostics]
    res = pickle.loads(pickle.dumps(objs["PipelineResult"][0]))
    assert res.policy == objs["PipelineResult"][0].policy and res.attempt_records() == objs["PipelineResult"][0].attempt_records()
    assert pickle.loads(pickle.dumps(objs["Prompt"][1])).messages() == objs["Prompt"][1].messages()
    assert pickle.loads(pickle.dumps(objs["BatchScores"][0])).column("bleu") == objs["BatchScores"][0].column("bleu")
    ds = pickle.loads(pickle.dumps(objs["Dataset"][0]))
    assert (ds.train, ds.test, ds.skipped, ds.documents) == (
        objs["Dataset"][0].train, objs["Dataset"][0].test, objs["Dataset"][0].skipped, objs["Dataset"][0].documents)
    ctx = pickle.loads(pickle.dumps(objs["Context"][0]))
    assert ctx.render() == objs["Context"][0].render() and ctx.to_dict() == objs["Context"][0].to_dict()
    assert kubescribe.build_prompt(NGINX, context=ctx).user == kubescribe.build_prompt(NGINX, context=objs["Context"][0]).user
    sim = pickle.loads(pickle.dumps(objs["Simulation"][0]))
    assert sim["totals"] == objs["Simulation"][0]["totals"] and sim.records() == objs["Simulation"][0].records()


def test_equal_values_built_separately_are_equal_and_hash_alike():
    [a] = kubescribe.validate(MISTAKES)
    [b] = kubescribe.validate(text=MISTAKES.read_text(), name=str(MISTAKES))
    assert a == b and hash(a) == hash(b)
    assert a.diagnostics == b.diagnostics and a.diagnostics[0] is not b.diagnostics[0]
    assert len({*a.diagnostics, *b.diagnostics}) == len(a.diagnostics)
    assert kubescribe.synthesize(NGINX) == kubescribe.synthesize(NGINX)
    assert hash(kubescribe.synthesize(NGINX)) == hash(kubescribe.synthesize(NGINX))
    assert kubescribe.Intent(**NGINX) == kubescribe.Intent.from_dict(NGINX)
    assert {kubescribe.Intent(**NGINX): 1}[kubescribe.Intent.from_dict(NGINX)] == 1


def test_every_exception_pickles_deep_copies_compares_and_hashes():
    with pytest.raises(kubescribe.ValidationError) as invalid:
        kubescribe.Policy.from_file(MISTAKES)
    with pytest.raises(kubescribe.ConversionError) as lossy:
        kubescribe.convert(EXAMPLES / "policies" / "calico-db-ordered.yaml", "kubernetes", strict=True)
    with pytest.raises(kubescribe.MissingFileError) as missing:
        kubescribe.validate(EXAMPLES / "nope.yaml")
    raised = [invalid.value, lossy.value, missing.value]
    made = [cls("a message") for cls in (
        kubescribe.KubescribeError, kubescribe.ParseError, kubescribe.SynthesisError, kubescribe.ModelError,
        kubescribe.StoreError, kubescribe.MetricsError, kubescribe.ArgumentError)]
    made.append(kubescribe.FileReadError(13, "Permission denied", "x.yaml"))
    exported = {n for n in kubescribe.__all__
                if isinstance(getattr(kubescribe, n), type) and issubclass(getattr(kubescribe, n), BaseException)}
    assert {type(e).__name__ for e in raised + made} == exported
    for e in raised + made:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and back == e and hash(back) == hash(e) and str(back) == str(e)
        assert copy.deepcopy(e) == e
        assert e != type(e)("something else")
    back = pickle.loads(pickle.dumps(invalid.value))
    assert back.diagnostics == invalid.value.diagnostics and back.reports == invalid.value.reports
    assert pickle.loads(pickle.dumps(lossy.value)).losses == lossy.value.losses
    m = pickle.loads(pickle.dumps(missing.value))
    assert (m.errno, m.filename) == (missing.value.errno, missing.value.filename)


def test_reprs_are_python():
    [r] = kubescribe.validate(text="apiVersion: v1\nkind: [unclosed\n")
    assert repr(r).startswith("Report(source='<string>', index=0, kind=None, name=None, valid=False")
    assert "Some(" not in repr(r)
    d = r.diagnostics[0]
    assert repr(d).startswith("Diagnostic(layer='parse', severity='error', path='', line=")
    p = kubescribe.synthesize(NGINX)
    assert repr(p) == f"Policy(kind='KubeArmorPolicy', name={p.name!r}, namespace='shop')"
    i = kubescribe.Intent.from_dict(NGINX)
    assert eval(repr(i), {"Intent": kubescribe.Intent}) == i  # the repr rebuilds it
    assert repr(kubescribe.EventStore()) == "EventStore(None)"
    ctx = kubescribe.EventStore().context(namespace="shop")
    assert repr(ctx) == "Context(namespace='shop', selector={}, observations=0)"
    res = kubescribe.Pipeline(kubescribe.Generator.synth()).run(NGINX)
    assert repr(res) == f"PipelineResult(status='valid', attempts=1, policy={res.policy.name!r})"
    assert repr(kubescribe.Validator()) == "Validator(crd_kinds=[])"
    assert repr(kubescribe.Generator.synth()) == "Generator('synth')"
    assert repr(kubescribe.Pipeline(kubescribe.Generator.synth())) == "Pipeline(generator='synth', max_attempts=3)"
    for obj in [r, d, p, i, ctx, res, kubescribe.build_prompt(NGINX), kubescribe.parse_intent(
            "block writes to /etc/passwd for app=nginx in namespace shop")]:
        assert "Some(" not in repr(obj) and '\\"' not in repr(obj), repr(obj)


def test_html_views_for_notebooks():
    p = kubescribe.synthesize(NGINX)
    html = p._repr_html_()
    assert "<pre>" in html and "KubeArmorPolicy" in html and "matchDirectories" in html
    [r] = kubescribe.validate(MISTAKES)
    html = r._repr_html_()
    assert "<table>" in html and "/metadata/name" in html and "invalid" in html
    assert html.count("<tr>") == len(r.diagnostics) + 1
    # Untrusted text is escaped.
    [x] = kubescribe.validate(text="apiVersion: v1\nkind: <script>\n")
    assert "<script>" not in x._repr_html_()
    b = kubescribe.score_batch(["a b c"], ["a b d"])
    assert "<table>" in b._repr_html_() and "chrf_pp" in b._repr_html_()


def test_to_pandas_gives_tables(nginx_store):
    pandas = pytest.importorskip("pandas")
    [r] = kubescribe.validate(MISTAKES)
    df = r.to_pandas()
    assert isinstance(df, pandas.DataFrame) and len(df) == len(r.diagnostics)
    assert list(df["path"]) == [d.path for d in r.diagnostics]
    assert list(df.columns) == list(kubescribe.diagnostics_records([r])[0])
    assert list(df["message"]) == [row["message"] for row in kubescribe.diagnostics_records([r])]
    b = kubescribe.score_batch(["a b c", "x"], ["a b d", "y"])
    bdf = b.to_pandas()
    assert list(bdf["bleu"]) == b.column("bleu") and list(bdf["id"]) == [0, 1]
    events = nginx_store.to_pandas("files", namespace="shop")
    assert len(events) == len(nginx_store.events("files", namespace="shop")) > 0
    assert "event.kind.path" in events.columns
    sim = kubescribe.simulate(kubescribe.synthesize(BLOCK), store=nginx_store, namespace="shop")
    sdf = sim.to_pandas()
    assert len(sdf) == len(sim["decisions"]) and list(sdf["verdict"]) == [d["verdict"] for d in sim["decisions"]]
    assert (sdf["verdict"] == "block").sum() == 1
    blocked = sdf[sdf["verdict"] == "block"].iloc[0]
    assert blocked["namespace"] == "shop" and "/etc/passwd" in json.dumps(blocked["event"])
    res = kubescribe.Pipeline(kubescribe.Generator.synth()).run(NGINX)
    assert list(res.to_pandas()["valid"]) == [True]


def test_simulation_is_still_a_mapping(nginx_store):
    sim = kubescribe.simulate(kubescribe.synthesize(BLOCK), store=nginx_store, namespace="shop")
    d = sim.to_dict()
    assert set(sim) == set(d) == set(sim.keys()) and len(sim) == len(d)
    assert dict(sim.items()) == d and sim["totals"] == d["totals"] == sim.totals
    assert "totals" in sim and "nope" not in sim and sim.get("nope", 3) == 3
    with pytest.raises(KeyError):
        sim["nope"]
    assert repr(sim).startswith("Simulation(allowed=")
