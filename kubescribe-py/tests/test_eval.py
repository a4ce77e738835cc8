"""Policy-level metrics: compile rate and coverage."""

import json

import pytest

import kubescribe
from conftest import EXAMPLES

ROWS = [json.loads(l) for l in (EXAMPLES / "eval" / "dataset.jsonl").read_text().splitlines() if l.strip()]
KSP = """
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: web, namespace: shop, labels: {team: x}}
spec:
  selector: {matchLabels: {app: nginx}}
  process: {matchPaths: [{path: /usr/sbin/nginx}]}
  file: {matchDirectories: [{dir: /var/www/, recursive: true}]}
  action: Allow
"""


def test_compile_rate_counts_outputs_whose_every_document_validates():
    broken = KSP.replace("action: Allow", "action: allow")
    assert kubescribe.compiles(KSP) and not kubescribe.compiles(broken)
    assert kubescribe.compile_rate([KSP, broken, "", "x: ["]) == 0.25
    assert kubescribe.compile_rate([]) == 0.0
    assert kubescribe.compile_rate([r["reference"] for r in ROWS]) == 1.0


def test_coverage_compares_essential_resources():
    p = kubescribe.Policy.from_yaml(KSP)
    assert kubescribe.essential_resources(p) == [
        ("action", "Allow"), ("dir", "/var/www/"), ("label", "app=nginx"), ("path", "/usr/sbin/nginx")]
    assert kubescribe.essential_resources(KSP) == kubescribe.essential_resources(p)
    assert kubescribe.coverage(KSP, KSP) == 1.0
    assert kubescribe.coverage(KSP.replace("/var/www/", "/srv/"), KSP) == 0.75
    assert kubescribe.coverage(kubescribe.Policy.from_yaml(KSP.replace("/var/www/", "/srv/")), p) == 0.75
    assert kubescribe.coverage("not: [a policy", KSP) == 0.0
    assert kubescribe.coverage(KSP, "kind: Nope") is None
    for row in ROWS:
        generated = kubescribe.synthesize(kubescribe.Intent.from_json(row["prompt"]))
        c = kubescribe.coverage(generated, row["reference"])
        assert c is not None and 0.0 < c <= 1.0
    with pytest.raises(TypeError):
        kubescribe.coverage(1, KSP)  # type: ignore[arg-type]
