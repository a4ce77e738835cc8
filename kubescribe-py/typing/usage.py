"""A small typed program against the stubs; CI runs `mypy --strict` on it
(and executes it), so the stubs and the module cannot drift apart silently."""

import pickle
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any

import kubescribe
from kubescribe import Diagnostic, EventStore, Intent, Policy, Report

REPO = Path(__file__).resolve().parents[2]


def error_paths(reports: list[Report]) -> list[tuple[str, int | None, str | None]]:
    out: list[tuple[str, int | None, str | None]] = []
    for r in reports:
        for d in r.errors:
            out.append((d.path, d.line, d.suggestion))
    return out


def first_error(text: str) -> Diagnostic | None:
    try:
        Policy.from_yaml(text)
    except kubescribe.ValidationError as e:
        return e.diagnostics[0]
    return None


def main() -> None:
    reports = kubescribe.validate(REPO / "examples" / "policies" / "invalid" / "kubearmor-mistakes.yaml")
    paths = error_paths(reports)
    assert ("/spec/file/matchPaths/0/path", 13, paths[0][2]) in paths or paths

    intent = Intent.from_dict(
        {"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "file", "action": "block",
         "resources": {"paths": ["/etc/passwd"]}})
    policies: dict[str, Policy] = {e: kubescribe.synthesize(intent, e) for e in ("kubearmor", "tetragon")}
    yaml_text: str = kubescribe.to_yaml(list(policies.values()))
    assert first_error(yaml_text.split("---")[0]) is None

    with EventStore() as store:
        summary = store.ingest([{"not": "an event"}], name="typed")
        skipped: int = summary["records_skipped"]
        ctx = store.context(namespace="shop", selector="app=nginx", budget=200)
        rendered: str = ctx.render()
        counts: dict[str, int] = store.counts()
        assert skipped == 1 and counts["pods"] == 0 and rendered

    hyps = [p.to_yaml() for p in policies.values()]
    refs = [hyps[0], hyps[0]]
    batch = kubescribe.score_batch(hyps, refs)
    bleu_values: list[float] = batch.column("bleu")
    rouge_l: float = kubescribe.rouge(hyps[1], refs[1])["rougeL"]
    rate: float = kubescribe.compile_rate(hyps)
    cov: float | None = kubescribe.coverage(policies["tetragon"], policies["kubearmor"])
    assert bleu_values[0] > 99.99 and 0.0 <= rouge_l <= 1.0 and rate == 1.0 and cov is not None

    parsed = kubescribe.parse_intent("block writes to /etc/passwd for app=nginx in namespace shop")
    kinds: list[str] = [e["kind"] for e in parsed.entities]
    prompt = kubescribe.build_prompt(parsed.intent, template="checklist")
    chat: str = prompt.format_chat()
    result = kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=2, template="few-shot").run(parsed.intent)
    status: str = result.status
    sim: kubescribe.Simulation = kubescribe.simulate(policies["kubearmor"], events=[])
    report: dict[str, Any] = sim.to_dict()
    totals: dict[str, int] = sim["totals"]
    # Results are values: they pickle, compare and hash; errors have Python's base classes.
    same: bool = pickle.loads(pickle.dumps(result)) == result and hash(policies["kubearmor"]) != 0
    try:
        kubescribe.validate(REPO / "no-such.yaml")
    except FileNotFoundError as missing:
        assert isinstance(missing, kubescribe.KubescribeError)
    from_text: list[Report] = kubescribe.validate(text=yaml_text)
    many: list[Report] = kubescribe.validate_files([REPO / "examples" / "policies" / "kubearmor-nginx-www.yaml"])
    assert same and totals is not None and from_text and many
    network = kubescribe.synthesize(
        {"scope": {"namespace": "shop", "labels": {"app": "cart"}}, "domain": "network", "action": "allow",
         "direction": "ingress", "resources": {"ports": [{"port": 7070, "protocol": "TCP"}]}}, "cilium")
    converted: list[Policy] = kubescribe.convert(network, "kubernetes").policies
    assert kinds and chat and status == "valid" and report["totals"] and converted

    # Your own model in the loop: a callable, constrained to the intent-shaped schema.
    def my_model(messages: Sequence[Mapping[str, str]], target: kubescribe.ConstraintTarget | None = None,
                 **settings: Any) -> str:
        return policies["kubearmor"].to_yaml()

    mine = kubescribe.Generator.from_callable(my_model, name="mine", constrained=True, settings=True)
    target = kubescribe.ConstraintTarget.for_intent(parsed.intent, "kubearmor")
    schema: dict[str, Any] = target.schema()
    assert mine.name == "mine" and target.kind == "KubeArmorPolicy" and schema["properties"]

    dataset = kubescribe.build_dataset([REPO / "examples" / "policies"], seed=1, augment=1, templates=["minimal"])
    references: list[str] = [row["reference"] for row in dataset.train + dataset.test]
    assert references and len(dataset) == len(references)


if __name__ == "__main__":
    main()
