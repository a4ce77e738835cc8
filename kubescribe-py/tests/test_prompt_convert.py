"""Natural-language intents, the prompt builder and network-policy conversion from Python."""

import json

import pytest

import kubescribe
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())
SHOP = EXAMPLES / "policies" / "network-shop.yaml"


def test_parse_intent_turns_text_into_an_intent_with_entities():
    text = "block writes to /etc/passwd for app=nginx in namespace shop"
    parsed = kubescribe.parse_intent(text)
    intent = parsed.intent
    assert (intent.domain, intent.action, intent.namespace) == ("file", "block", "shop")
    assert intent.labels == {"app": "nginx"}
    d = intent.to_dict()
    assert "/etc/passwd" in json.dumps(d["resources"])
    kinds = {e["kind"] for e in parsed.entities}
    assert {"NAMESPACE", "LABEL", "ACTION"} <= kinds, parsed.entities
    for e in parsed.entities:  # byte offsets into the (ASCII) text
        assert text[e["start"]:e["end"]] == e["text"]
    assert parsed.to_dict()["intent"] == d
    # The parsed intent feeds the synthesizer directly.
    assert kubescribe.synthesize(intent).kind == "KubeArmorPolicy"


def test_parse_intent_errors_say_what_is_missing_or_unknown(tmp_path):
    with pytest.raises(kubescribe.ParseError, match="which pods"):
        kubescribe.parse_intent("block writes to /etc/passwd")
    with pytest.raises(kubescribe.ParseError, match="empty intent"):
        kubescribe.parse_intent("   ")
    with pytest.raises(kubescribe.ParseError, match="both allow and block"):
        kubescribe.parse_intent("allow and block /etc for app=web in namespace shop")
    # Pod names stay names without a store; with one they must resolve to a known workload.
    text = "block all traffic to pod db-9 in namespace shop"
    assert kubescribe.parse_intent(text).intent.to_dict()["scope"]["podNames"] == ["db-9"]
    store = kubescribe.EventStore()
    store.ingest_files(EXAMPLES / "events" / "shop-workloads.yaml")
    with pytest.raises(kubescribe.ParseError, match="not a known workload"):
        kubescribe.parse_intent(text, store=store)


def test_build_prompt_uses_the_engine_kind_template_and_store_context():
    assert kubescribe.templates() == ["zero-shot", "few-shot", "checklist", "schema-first", "minimal"]
    bare = kubescribe.build_prompt(NGINX)
    assert (bare.engine, bare.kind, bare.template) == ("kubearmor", "KubeArmorPolicy", "zero-shot")
    assert bare.api_version == "security.kubearmor.com/v1"
    assert bare.system == kubescribe.system_prompt("kubearmor")
    assert "<intent>" in bare.user and "<workload-context>" not in bare.user
    assert [m["role"] for m in bare.messages()] == ["system", "user"]
    assert bare.to_text() == bare.system.rstrip() + "\n\n" + bare.user
    chat = bare.format_chat()
    assert chat.startswith("<|im_start|>system\n") and chat.endswith("<|im_start|>assistant\n")
    custom = bare.format_chat(template="{% for m in messages %}[{{ m.role }}]{% endfor %}")
    assert custom == "[system][user]"

    store = kubescribe.EventStore()
    store.ingest_files(EXAMPLES / "events" / "shop-workloads.yaml", EXAMPLES / "events" / "kubearmor-nginx.jsonl")
    grounded = kubescribe.build_prompt(NGINX, store=store, template="few-shot")
    assert "<workload-context>" in grounded.user and "/etc/passwd" in grounded.user
    # The same context given explicitly gives the same prompt.
    ctx = store.context(namespace="shop", selector={"app": "nginx"}, budget=400)
    assert kubescribe.build_prompt(NGINX, context=ctx, template="few-shot").user == grounded.user
    texts = {t: kubescribe.build_prompt(NGINX, template=t).user for t in kubescribe.templates()}
    assert len(set(texts.values())) == 5
    with pytest.raises(kubescribe.ArgumentError, match="unknown template"):
        kubescribe.build_prompt(NGINX, template="haiku")
    # The synthesizer backend reads the intent back out of a built prompt.
    out = kubescribe.Generator.synth().generate(grounded.to_text())["text"]
    assert kubescribe.Policy.from_yaml(out) == kubescribe.synthesize(NGINX)


def test_validator_findings_become_the_feedback_section():
    bad = {"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
           "metadata": {"name": "Bad_Name", "namespace": "shop"},
           "spec": {"selector": {"matchLabels": {"app": "nginx"}},
                    "file": {"matchPaths": [{"path": "/etc/nginx/"}]}, "action": "Block"}}
    [report] = kubescribe.validate(bad)
    assert not report.valid
    prompt = kubescribe.build_prompt(NGINX, feedback=report.diagnostics)
    assert '[layer 1 metadata.name] at "/metadata/name"' in prompt.user
    as_dict = kubescribe.build_prompt(
        NGINX, feedback=[{"layer": "schema", "path": "/spec/x", "message": "no such field", "suggestion": "drop it"}])
    assert '"/spec/x"' in as_dict.user and "no such field" in as_dict.user and "drop it" in as_dict.user
    # Diagnostic.to_dict() rows are feedback as they are: the same keys.
    from_dicts = kubescribe.build_prompt(NGINX, feedback=[d.to_dict() for d in report.diagnostics])
    assert from_dicts.user == prompt.user
    with pytest.raises(kubescribe.ParseError, match="feedback"):
        kubescribe.build_prompt(NGINX, feedback=[{"path": 3}])


def test_the_pipeline_can_use_a_prompt_template(nginx_store):
    result = kubescribe.Pipeline(kubescribe.Generator.synth(), template="schema-first").run(NGINX, store=nginx_store)
    assert result.status == "valid" and result.policy == kubescribe.synthesize(NGINX)
    # The attempt's prompt is the prompt builder's, with the store context the loop summarized.
    prompt = result.trace["attempts"][0]["prompt"]
    assert prompt == kubescribe.build_prompt(NGINX, template="schema-first", store=nginx_store).messages()
    assert prompt[0] == {"role": "system", "content": kubescribe.system_prompt("kubearmor")}
    with pytest.raises(kubescribe.ArgumentError):
        kubescribe.Pipeline(kubescribe.Generator.synth(), template="nope")


def test_generate_batch_answers_each_prompt_in_order():
    g = kubescribe.Generator.synth()
    # A file block intent names the programs it applies from as sources
    # (intent schema 2); binaries there would be a process rule.
    res = {k: v for k, v in NGINX["resources"].items() if k != "binaries"}
    block = dict(NGINX, action="block", resources=dict(res, sources=NGINX["resources"]["binaries"]))
    outs = g.generate_batch([json.dumps(NGINX), json.dumps(block)])
    assert [kubescribe.Policy.from_yaml(o["text"]) for o in outs] == [
        kubescribe.synthesize(NGINX), kubescribe.synthesize(block)]
    with pytest.raises(kubescribe.ModelError, match=r"prompts\[1\]"):
        g.generate_batch([json.dumps(NGINX), "no intent here"])


def test_convert_network_policies_between_engines():
    cilium, netpol, calico = kubescribe.parse_policies(SHOP)
    conv = kubescribe.convert(cilium, "kubernetes")
    assert conv.lossless and len(conv) == 1
    [out] = conv.policies
    spec = out.to_dict()["spec"]
    assert out.kind == "NetworkPolicy"
    assert spec["podSelector"] == {"matchLabels": {"app": "cartservice"}}
    [rule] = spec["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app": "frontend"}}}]
    assert rule["ports"] == [{"port": 7070, "protocol": "TCP"}]
    assert "kind: NetworkPolicy" in conv.to_yaml()
    [to_calico] = kubescribe.convert(netpol.to_dict(), "calico").policies
    assert (to_calico.engine, to_calico.kind) == ("calico", "NetworkPolicy")
    assert to_calico.to_dict()["apiVersion"] == "projectcalico.org/v3"
    assert kubescribe.convert(calico, "calico").policies == [calico]

    ordered = EXAMPLES / "policies" / "calico-db-ordered.yaml"
    lossy = kubescribe.convert(ordered, "kubernetes")
    assert not lossy.lossless
    assert any(loss["pointer"] == "/spec/order" for loss in lossy.losses)
    assert [p.name for p in lossy.policies] == ["db-from-api-1", "db-from-api-2"]
    with pytest.raises(kubescribe.ConversionError, match="strict") as e:
        kubescribe.convert(ordered, "kubernetes", strict=True)
    assert e.value.losses == lossy.losses
    with pytest.raises(kubescribe.ConversionError, match="not a network policy"):
        kubescribe.convert(kubescribe.synthesize(NGINX), "cilium")
    assert issubclass(kubescribe.ConversionError, kubescribe.KubescribeError)
