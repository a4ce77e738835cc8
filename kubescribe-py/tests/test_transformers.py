"""Your own model in the loop: ``Generator.from_callable`` drives the
generate -> validate -> fidelity -> regenerate loop with a Python callable,
and ``IntentLogitsProcessor`` keeps a Hugging Face model inside the
intent-shaped grammar of ``kubescribe generate``.

The model is a tiny randomly initialised Llama and the tokenizer a byte-level
BPE trained here on policy text, both built by the test, offline: whatever
the random weights pick, every document must validate. The transformers
tests need torch and transformers (``.ci/run`` installs them); without them
they are skipped with the reason (NOT RUN).
"""

import json
import random

import pytest

import kubescribe
from _vocab import byte_vocab
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())
CART = json.loads((EXAMPLES / "intents" / "cart-from-frontend.json").read_text())
PASSWD = json.loads((EXAMPLES / "intents" / "block-passwd-write.json").read_text())
BLOCK_PASSWD = {"engine": "kubearmor", "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
                "domain": "file", "action": "block", "resources": {"paths": ["/etc/passwd"]}}

# (intent, engine): file and network intents on every engine that writes them.
CASES = [
    (NGINX, "kubearmor"),
    (BLOCK_PASSWD, "kubearmor"),
    (PASSWD, "tetragon"),
    (CART, "kubernetes"),
    (CART, "cilium"),
    (CART, "calico"),
]


# ---- from_callable (no torch needed) ---------------------------------------------------


def test_a_python_callable_drives_the_loop_with_feedback_and_retries():
    seen = []

    def model(messages):
        seen.append(messages)
        if len(seen) == 1:
            return "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: Bad_Name}\n"
        return {"text": kubescribe.synthesize(NGINX).to_yaml(), "completion_tokens": 7}

    g = kubescribe.Generator.from_callable(model, name="my-model")
    assert g.name == "my-model"
    result = kubescribe.Pipeline(g, max_attempts=3).run(NGINX)
    assert result.status == "valid" and result.attempts == 2
    assert result.policy == kubescribe.synthesize(NGINX)
    # The callable got chat messages; the second prompt carries the validator's findings.
    assert all(set(m) == {"role", "content"} for m in seen[0])
    first, second = (" ".join(m["content"] for m in msgs) for msgs in seen)
    assert "Bad_Name" not in first and "Bad_Name" in second
    records = result.attempt_records()
    assert [r["valid"] for r in records] == [False, True]
    assert records[1]["completion_tokens"] == 7


def test_a_valid_but_unfaithful_answer_is_a_failed_attempt():
    # Always the policy of another intent: valid, never the asked one.
    g = kubescribe.Generator.from_callable(lambda messages: kubescribe.synthesize(BLOCK_PASSWD).to_yaml())
    result = kubescribe.Pipeline(g, max_attempts=2).run(NGINX)
    assert result.status == "failed" and result.policy is None and result.attempts == 2
    assert result.best_effort == kubescribe.synthesize(BLOCK_PASSWD)
    assert all(r["valid"] and not r["faithful"] for r in result.attempt_records())


def test_a_constrained_callable_gets_the_intent_shaped_target_and_the_settings():
    calls = []

    def model(messages, target=None, **settings):
        calls.append((target, settings))
        return kubescribe.synthesize(CART, engine="cilium").to_yaml()

    g = kubescribe.Generator.from_callable(model, constrained=True, settings=True)
    result = kubescribe.Pipeline(g, max_new_tokens=3210, seed=5).run(dict(CART, engine="cilium"))
    assert result.status == "valid"
    [(target, settings)] = calls
    assert isinstance(target, kubescribe.ConstraintTarget)
    assert target.kind == "CiliumNetworkPolicy"
    assert target == kubescribe.ConstraintTarget.for_intent(CART, "cilium")
    # A budget above what the intent's policy needs is passed through unchanged.
    assert settings == {"max_new_tokens": 3210, "temperature": 0.0, "seed": 5}
    assert "answer_budget_raised_to" not in result.trace
    assert result.trace["constrained_to"] == target.label
    # The schema the target stands for forces the intent's scope.
    assert "cartservice" in json.dumps(target.schema())


def test_a_budget_shorter_than_the_intents_policy_is_raised_and_the_trace_says_so():
    calls = []

    def model(messages, target=None, **settings):
        calls.append(settings["max_new_tokens"])
        return kubescribe.synthesize(CART, engine="cilium").to_yaml()

    g = kubescribe.Generator.from_callable(model, constrained=True, settings=True)
    result = kubescribe.Pipeline(g, max_new_tokens=8, seed=5).run(dict(CART, engine="cilium"))
    assert result.status == "valid"
    raised = result.trace["answer_budget_raised_to"]
    assert isinstance(raised, int) and raised > 8
    assert calls == [raised]


def test_callable_failures_fail_the_attempt_and_non_callables_are_type_errors():
    def broken(messages):
        raise RuntimeError("CUDA out of memory")

    result = kubescribe.Pipeline(kubescribe.Generator.from_callable(broken), max_attempts=2).run(NGINX)
    assert result.status == "failed" and result.attempts == 2
    assert all("CUDA out of memory" in r["error"] for r in result.attempt_records())
    with pytest.raises(kubescribe.ModelError, match="CUDA out of memory"):
        kubescribe.Generator.from_callable(broken).generate("hello")
    with pytest.raises(kubescribe.ModelError, match="expected str"):
        kubescribe.Generator.from_callable(lambda m: 42).generate("hello")
    assert kubescribe.Generator.from_callable(lambda m: m[0]["content"].upper()).generate("hi")["text"] == "HI"
    with pytest.raises(TypeError):
        kubescribe.Generator.from_callable("not callable")


# ---- token-level from_callable (no torch needed) ---------------------------------------


def test_a_token_level_callable_writes_only_valid_policies():
    vocab = byte_vocab()
    calls = []

    def model(messages, tokens):
        # Deterministic noise with no idea of policies: the grammar decides the form.
        calls.append(list(tokens))
        rng = random.Random(len(tokens))
        return [rng.uniform(-4.0, 4.0) for _ in range(vocab.vocab_size)]

    g = kubescribe.Generator.from_callable(model, vocab=vocab, name="noise")
    assert g.name == "noise"
    attempts = 0
    for intent, engine in CASES:
        result = kubescribe.Pipeline(g, max_attempts=2, max_new_tokens=400, temperature=1.0, seed=3).run(
            dict(intent, engine=engine))
        records = result.attempt_records()
        attempts += len(records)
        assert records and all(r["valid"] for r in records), result.trace
        assert result.trace["constrained_to"] == kubescribe.ConstraintTarget.for_intent(intent, engine).label
    assert attempts >= len(CASES)
    # Each call saw the output so far: within an attempt, the previous call's tokens and more.
    grown = sum(b[:len(a)] == a and len(b) > len(a) for a, b in zip(calls, calls[1:]))
    assert grown >= len(calls) - attempts
    # The same loop, seed and noise give the same policy.
    first, again = (kubescribe.Pipeline(g, max_attempts=1, max_new_tokens=400, temperature=1.0, seed=3).run(CART)
                    for _ in range(2))
    assert (first.policy or first.best_effort) is not None
    assert (first.policy or first.best_effort) == (again.policy or again.best_effort)


def test_a_token_level_callable_may_answer_with_a_token_id():
    vocab = byte_vocab()
    g = kubescribe.Generator.from_callable(lambda messages, tokens: ord("k") if len(tokens) < 3 else 256,
                                           vocab=vocab)
    # Unconstrained (`generate`): the ids as they come, up to EOS.
    assert g.generate("hi", max_new_tokens=10)["text"] == "kkk"
    # Constrained: a token the grammar refuses fails the attempt, naming it.
    always_k = kubescribe.Generator.from_callable(lambda messages, tokens: ord("k"), vocab=vocab)
    result = kubescribe.Pipeline(always_k, max_attempts=1).run(NGINX)
    assert result.status == "failed"
    assert "token 107" in result.attempt_records()[0]["error"]
    with pytest.raises(kubescribe.ModelError, match="logits"):
        kubescribe.Generator.from_callable(lambda messages, tokens: "text", vocab=vocab).generate("hi")


# ---- transformers ----------------------------------------------------------------------


def _tiny_model_and_tokenizer():
    torch = pytest.importorskip("torch", reason="NOT RUN: torch is not installed")
    transformers = pytest.importorskip("transformers", reason="NOT RUN: transformers is not installed")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    # Policy text of every engine, to train a small byte-level BPE on.
    corpus = []
    for intent, engine in CASES:
        p = kubescribe.synthesize(intent, engine=engine)
        corpus += [p.to_json(), p.to_yaml(), json.dumps(intent)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus * 4, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", pad_token="<pad>")
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=len(tokenizer) + 5,  # padded logits, as real models have
                                      hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=2, num_key_value_heads=2,
                                      max_position_embeddings=8192,
                                      eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                                      bos_token_id=tokenizer.eos_token_id)
    model = transformers.LlamaForCausalLM(config).eval()
    return torch, transformers, model, tokenizer


# `synced_gpus=False` below: with it given, `generate` does not ask whether the model is FSDP-managed,
# which imports torch.distributed.fsdp — broken under Python 3.11 in Debian's torch 1.13 (the CPU
# build .ci/run installs), and irrelevant on one process.


def test_the_logits_processor_makes_a_random_llama_write_valid_policies():
    torch, transformers, model, tokenizer = _tiny_model_and_tokenizer()
    vocab = kubescribe.constraint_vocab(tokenizer, vocab_size=model.config.vocab_size)
    assert vocab.vocab_size == model.config.vocab_size
    outputs = []
    for i, (intent, engine) in enumerate(CASES):
        target = kubescribe.ConstraintTarget.for_intent(intent, engine)
        prompt = tokenizer(f"Write the {target.kind} for {json.dumps(intent)}\n", return_tensors="pt").input_ids
        budget = 400
        proc = kubescribe.IntentLogitsProcessor(target, vocab=vocab, max_new_tokens=budget)
        torch.manual_seed(i)
        out = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=True, temperature=1.0,
                             max_new_tokens=budget, eos_token_id=tokenizer.eos_token_id,
                             pad_token_id=tokenizer.pad_token_id, synced_gpus=False,
                             logits_processor=transformers.LogitsProcessorList([proc]))
        new = out[0, prompt.shape[1]:].tolist()
        assert new[-1] == tokenizer.eos_token_id, "the document was closed before the budget ran out"
        text = tokenizer.decode(new[:-1], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        assert text == proc.texts[0]
        outputs.append((target, text))
    for target, text in outputs:
        [report] = kubescribe.validate(json.loads(text))  # JSON: the grammar's form
        assert report.valid, (text, [d.message for d in report.diagnostics])
        assert report.kind == target.kind
    # Random weights, yet each output is a parseable document of the target kind.
    assert len({t for _, t in outputs}) == len(outputs)


def test_the_logits_processor_handles_a_padded_batch_and_a_tight_budget():
    torch, transformers, model, tokenizer = _tiny_model_and_tokenizer()
    target = kubescribe.ConstraintTarget.for_intent(NGINX)
    tokenizer.padding_side = "left"
    enc = tokenizer(["nginx", "a longer prompt for the same intent"], return_tensors="pt", padding=True,
                    return_token_type_ids=False)
    # The close-out needs fewer tokens than this: it finishes every row within the budget.
    budget = 160
    proc = kubescribe.IntentLogitsProcessor(target, tokenizer, max_new_tokens=budget)
    torch.manual_seed(1)
    out = model.generate(**enc, do_sample=True, temperature=1.5, max_new_tokens=budget,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         synced_gpus=False, logits_processor=transformers.LogitsProcessorList([proc]))
    assert out.shape[1] - enc.input_ids.shape[1] <= budget
    for text in proc.texts:
        [report] = kubescribe.validate(json.loads(text))
        assert report.valid and report.kind == "KubeArmorPolicy", text


def test_from_transformers_runs_the_pipeline_with_constrained_decoding():
    torch, transformers, model, tokenizer = _tiny_model_and_tokenizer()
    g = kubescribe.Generator.from_transformers(model, tokenizer, name="tiny-llama", do_sample=True,
                                               synced_gpus=False)
    assert g.name == "tiny-llama"
    torch.manual_seed(0)
    result = kubescribe.Pipeline(g, max_attempts=3, max_new_tokens=300, temperature=1.0).run(CART)
    records = result.attempt_records()
    assert records and len(records) == result.attempts
    # Every attempt of the random model is a valid policy: the grammar decided its form.
    assert all(r["valid"] for r in records), result.trace
    assert result.trace["constrained_to"] == "networking.k8s.io/v1/NetworkPolicy"
    # Unconstrained, the same random model writes garbage the validator refuses.
    free = kubescribe.Generator.from_transformers(model, tokenizer, constrain=False, synced_gpus=False)
    loose = kubescribe.Pipeline(free, max_attempts=1, max_new_tokens=40, temperature=1.0).run(CART)
    assert loose.status == "failed" and not loose.attempt_records()[0]["valid"]
