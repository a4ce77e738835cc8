"""The stubs against the runtime: every stubbed signature is called with a
value of each type its annotations accept, parameter by parameter, and the
extension must not refuse the *type* (a TypeError). Semantic refusals
(a file that is no policy, an unknown name) are fine: they are ValueErrors
or other KubescribeErrors, and say the type was taken.

Values: `str` paths point at real files (copies in a temporary directory,
so nothing in the repository is touched), `os.PathLike` is `pathlib.Path`,
`Sequence` a tuple, `Iterable` an iterator, `dict` a dict, classes an
instance built here."""

import ast
import itertools
import json
import shutil
from pathlib import Path

import pytest

import kubescribe
from _vocab import byte_tokenizer_json, byte_vocab
from conftest import EVENTS, EXAMPLES, REPO

STUB = Path(kubescribe.__file__).with_name("_kubescribe.pyi")
NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())

# Stubbed callables not called here, with the reason (the test prints what it skips).
NOT_CALLED = {
    "Generator.from_transformers": "needs a transformers model and tokenizer (test_transformers.py)",
    "EventStore.__exit__": "context-manager protocol",
    "EventStore.__enter__": "context-manager protocol",
}
# Classes whose methods need an instance this test cannot build offline.
NO_INSTANCE: dict[str, str] = {}


def _aliases(tree):
    return {n.targets[0].id: n.value for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}


def type_keys(node, aliases):
    """The members of an annotation as keys: 'str', 'path:str', 'dict', 'Seq:<key>', 'Literal:<v>', class names."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return type_keys(node.left, aliases) + type_keys(node.right, aliases)
    if isinstance(node, ast.Constant) and node.value is None:
        return ["None"]
    if isinstance(node, ast.Name):
        if node.id == "_StrPath":
            return ["path:str", "path:PathLike"]
        if node.id in aliases:
            return type_keys(aliases[node.id], aliases)
        return [node.id]
    if isinstance(node, ast.Attribute):  # os.PathLike
        return ["path:PathLike"] if node.attr == "PathLike" else [node.attr]
    if isinstance(node, ast.Subscript):
        base = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "?")
        inner = node.slice
        if base == "Literal":
            first = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            return [f"Literal:{first.value}"]
        if base in ("dict", "Mapping"):
            return ["dict"]
        if base in ("Sequence", "list", "Iterable", "tuple"):
            elem = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            kind = "Iter" if base == "Iterable" else "Seq"
            return [f"{kind}:{k}" for k in type_keys(elem, aliases)]
        if base == "os.PathLike" or getattr(node.value, "attr", None) == "PathLike":
            return ["path:PathLike"]
        if base == "Callable":
            return ["Callable"]
    return ["?"]


class Values:
    """Representative values, by type key and by the parameter they are for."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        files = {
            "policy": EXAMPLES / "policies" / "kubearmor-nginx-www.yaml",
            "intent": EXAMPLES / "intents" / "nginx-www.json",
            "events": EVENTS / "kubearmor.jsonl",
        }
        self.files = {k: Path(shutil.copy(v, tmp / v.name)) for k, v in files.items()}
        self.wordnet = Path(shutil.copytree(REPO / "kubescribe-metrics" / "tests" / "fixtures" / "wordnet-mini",
                                            tmp / "wordnet"))
        self.out = tmp / "out"
        self.policy = kubescribe.synthesize(NGINX)
        [self.report] = kubescribe.validate(EXAMPLES / "policies" / "invalid" / "kubearmor-mistakes.yaml")
        self.vocab = byte_vocab()
        self.token_constraint = kubescribe.TokenConstraint(
            kubescribe.ConstraintTarget.for_kind("KubeArmorPolicy"), self.vocab)

    @property
    def store(self):
        """A fresh store each time (a call may close the one it gets)."""
        store = kubescribe.EventStore()
        store.ingest_files(EVENTS / "workloads.yaml", EVENTS / "kubearmor.jsonl")
        return store

    def path_for(self, fn: str, param: str) -> Path:
        if param in ("dir",) or fn.startswith("WordNet"):
            return self.wordnet
        if param in ("directory",):
            return self.out
        if fn in ("synthesize", "build_prompt", "Pipeline.run", "Intent.from_file", "ConstraintTarget.for_intent"):
            return self.files["intent"]
        if fn.startswith("EventStore"):
            return self.files["events"] if param == "paths" else self.tmp / "store.db"
        return self.files["policy"]

    def instance(self, cls: str):
        makers = {
            "Intent": lambda: kubescribe.Intent.from_dict(NGINX),
            "Policy": lambda: self.policy,
            "EventStore": lambda: self.store,
            "Generator": kubescribe.Generator.synth,
            "Validator": kubescribe.Validator,
            "Context": lambda: self.store.context(namespace="shop"),
            "Diagnostic": lambda: self.report.diagnostics[0],
            "Report": lambda: self.report,
            "WordNet": lambda: kubescribe.WordNet(self.wordnet),
            "BatchScores": lambda: kubescribe.score_batch(["a b"], ["a c"]),
            "PipelineResult": lambda: kubescribe.Pipeline(kubescribe.Generator.synth()).run(NGINX),
            "Pipeline": lambda: kubescribe.Pipeline(kubescribe.Generator.synth()),
            "Simulation": lambda: kubescribe.simulate(self.policy, events=[]),
            "ParsedIntent": lambda: kubescribe.parse_intent("block writes to /etc for app=a in namespace b"),
            "Prompt": lambda: kubescribe.build_prompt(NGINX),
            "Conversion": lambda: kubescribe.convert(
                kubescribe.parse_policies(EXAMPLES / "policies" / "network-shop.yaml")[0], "calico"),
            "Dataset": lambda: kubescribe.build_dataset([self.files["policy"]], augment=0),
            "ConstraintTarget": lambda: kubescribe.ConstraintTarget.for_kind("KubeArmorPolicy"),
            # A hand-written byte-level vocabulary (_vocab.py); the matcher compiled once, copied.
            "ConstraintVocab": lambda: self.vocab,
            "TokenConstraint": lambda: self.token_constraint.copy(),
        }
        return makers[cls]() if cls in makers else None

    def value(self, key: str, fn: str, param: str):
        """A value of type `key` for parameter `param` of `fn`; None-sentinel `SKIP` when there is none."""
        if key == "path:str":
            return str(self.path_for(fn, param))
        if key == "path:PathLike":
            return self.path_for(fn, param)
        if key == "None":
            return None
        if key.startswith("Literal:"):
            return key.split(":", 1)[1]
        if key.startswith("Seq:") or key.startswith("Iter:"):
            inner = self.value(key.split(":", 1)[1], fn, param)
            if inner is SKIP:
                return SKIP
            return iter([inner]) if key.startswith("Iter:") else (inner,)
        simple = {"int": 1, "float": 0.5, "bool": True, "bytes": b"{}\n", "Callable": lambda *a, **k: ""}
        if key in simple:
            return simple[key]
        if key == "str":
            named = {"engine": "kubearmor", "kind": "KubeArmorPolicy", "target": "calico", "metric": "bleu",
                     "domain": "file", "table": "files", "validity": "approved", "template": "zero-shot",
                     "engine_name": "tetragon", "base_url": "http://127.0.0.1:9/v1", "text": "kind: x\n",
                     "hypothesis": "a b", "reference": "a c", "word": "car", "crd_texts": "kind: x\n",
                     "tokenizer_json": byte_tokenizer_json()}
            return named.get(param, "x")
        if key == "dict":
            named = {"document": self.policy.to_dict(), "data": NGINX, "intent": NGINX, "policy": self.policy.to_dict(),
                     "source": self.policy.to_dict(), "selector": {"app": "nginx"}, "outputs": {"p": "o"},
                     "records": {"not": "an event"}, "events": {"not": "an event"}, "feedback": self.report.diagnostics[0].to_dict(),
                     "policies": self.policy.to_dict(), "prompt": {"role": "user", "content": "x"},
                     "prompts": {"role": "user", "content": "x"}}
            return named.get(param, {"a": "b"})
        made = self.instance(key)
        return SKIP if made is None else made


SKIP = object()


def signatures():
    """(qualified name, FunctionDef, class name or None) for every stubbed callable."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, node, None))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    decos = {getattr(d, "id", getattr(d, "attr", "")) for d in item.decorator_list}
                    if "property" in decos:
                        continue
                    if item.name.startswith("__") and item.name != "__init__":
                        continue
                    if item.name.startswith("_") and not item.name.startswith("__"):
                        continue
                    out.append((f"{node.name}.{item.name}", item, node.name))
    return tree, out


def params_of(fn: ast.FunctionDef, method: bool):
    """[(name, annotation, has_default, keyword_only)], without self."""
    a = fn.args
    pos = a.posonlyargs + a.args
    if method and "staticmethod" not in {getattr(d, "id", "") for d in fn.decorator_list}:
        pos = pos[1:]
    defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
    out = [(p.arg, p.annotation, d is not None, False) for p, d in zip(pos, defaults)]
    if a.vararg is not None:
        out.append((a.vararg.arg, a.vararg.annotation, True, "*"))
    out += [(p.arg, p.annotation, d is not None, True) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return out


def test_every_stubbed_signature_takes_the_types_it_declares(tmp_path):
    tree, sigs = signatures()
    aliases = _aliases(tree)
    values = Values(tmp_path)
    refused, checked, skipped, seen = [], 0, [], set()
    for qual, fn, cls in sigs:
        seen.add(qual)
        if qual in NOT_CALLED:
            continue
        if cls is not None and cls in NO_INSTANCE:
            skipped.append((qual, NO_INSTANCE[cls]))
            continue
        is_static = "staticmethod" in {getattr(d, "id", "") for d in fn.decorator_list}
        if cls is None:
            target = getattr(kubescribe, fn.name)
        elif fn.name == "__init__":
            target = getattr(kubescribe, cls)
        elif is_static:
            target = getattr(getattr(kubescribe, cls), fn.name)
        else:
            inst = values.instance(cls)
            if inst is None:
                skipped.append((qual, "no instance"))
                continue
            target = getattr(inst, fn.name)
        params = params_of(fn, cls is not None)
        keys = {name: type_keys(ann, aliases) if ann is not None else ["?"] for name, ann, _, _ in params}
        # A base call: every required parameter gets its first usable type's value.
        base = {}
        ok = True
        for name, _, has_default, _ in params:
            if has_default:
                continue
            for k in keys[name]:
                v = values.value(k, qual, name)
                if k not in ("None", "?", "Any") and v is not SKIP:
                    base[name] = k
                    break
            else:
                ok = False
        if not ok:
            skipped.append((qual, "no value for a required parameter"))
            continue

        def call(assign):
            args, kwargs = [], {}
            for name, _, _, kw in params:
                if name not in assign:
                    continue
                v = values.value(assign[name], qual, name)
                if kw == "*":
                    args.append(v)
                elif kw:
                    kwargs[name] = v
                else:
                    # Positional parameters after a missing optional one go by keyword.
                    kwargs[name] = v
            try:
                target(*args, **kwargs)
            except TypeError as e:
                refused.append((qual, {n: assign[n] for n in assign}, str(e)))
            except Exception:  # a semantic refusal: the type was taken
                pass

        call(base)
        checked += 1
        for name, _, _, _ in params:
            for k in keys[name]:
                if k in ("?", "Any") or values.value(k, qual, name) is SKIP:
                    continue
                if k == base.get(name):
                    continue
                call({**base, name: k})
                checked += 1
    assert not refused, "\n".join(f"{q} {a}: {e}" for q, a, e in refused)
    print(f"{checked} calls; not called: {sorted(NOT_CALLED)}; skipped: {skipped}")
    assert checked > 250
    assert {q for q, _ in skipped} <= {q for q, _, c in sigs if c in NO_INSTANCE}, skipped


def test_a_refused_type_is_caught():
    # The harness itself can fail: a stub declaring int where the runtime wants str is found.
    tree = ast.parse("def bleu(hypothesis: int, reference: str) -> float: ...")
    fn = tree.body[0]
    keys = type_keys(fn.args.args[0].annotation, {})
    assert keys == ["int"]
    with pytest.raises(TypeError):
        kubescribe.bleu(1, "x")  # type: ignore[arg-type]
    assert list(itertools.chain(type_keys(ast.parse("x: _StrPath | None").body[0].annotation,
                                          {"_StrPath": None}))) == ["path:str", "path:PathLike", "None"]
