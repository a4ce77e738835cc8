"""One error mapping: missing or unreadable files are OSErrors (FileNotFoundError
when missing) and KubescribeErrors; bad values are ValueErrors; wrong types
TypeErrors. README's Python section has the table."""

import errno
import json
import os

import pytest

import kubescribe
from conftest import EXAMPLES, REPO

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())


def test_the_hierarchy():
    for name in ["ParseError", "ValidationError", "SynthesisError", "ConversionError", "MetricsError",
                 "ArgumentError"]:
        cls = getattr(kubescribe, name)
        assert issubclass(cls, kubescribe.KubescribeError) and issubclass(cls, ValueError), name
    assert issubclass(kubescribe.MissingFileError, FileNotFoundError)
    assert issubclass(kubescribe.MissingFileError, kubescribe.FileReadError)
    assert issubclass(kubescribe.FileReadError, OSError) and issubclass(kubescribe.FileReadError, kubescribe.KubescribeError)
    for name in ["StoreError", "ModelError"]:
        assert issubclass(getattr(kubescribe, name), kubescribe.KubescribeError)
    assert kubescribe.ValidationError.__module__ == "kubescribe"


@pytest.mark.parametrize("call", [
    lambda p: kubescribe.validate(p),
    lambda p: kubescribe.validate_files([p]),
    lambda p: kubescribe.parse_policies(p),
    lambda p: kubescribe.Policy.from_file(p),
    lambda p: kubescribe.Intent.from_file(p),
    lambda p: kubescribe.synthesize(p),
    lambda p: kubescribe.build_prompt(p),
    lambda p: kubescribe.convert(p, "cilium"),
    lambda p: kubescribe.simulate(p, events=[]),
    lambda p: kubescribe.Validator([p]),
    lambda p: kubescribe.validate(EXAMPLES / "policies" / "kubearmor-nginx-www.yaml", crds=[p]),
    lambda p: kubescribe.EventStore().ingest_files(p),
    lambda p: kubescribe.EventStore(os.path.join(p, "store.db")),
    lambda p: kubescribe.WordNet(p),
    lambda p: kubescribe.build_dataset([p]),
    lambda p: kubescribe.Generator.replay(p),
    lambda p: kubescribe.Generator.ort(p),
    lambda p: kubescribe.Generator.candle(p),
    lambda p: kubescribe.build_prompt(NGINX).format_chat(model=p),
    lambda p: kubescribe.Pipeline(kubescribe.Generator.synth()).run(p),
], ids=lambda f: "")
def test_a_missing_file_is_file_not_found_and_kubescribe_error(tmp_path, call):
    missing = tmp_path / "no-such-file"
    for given in (missing, str(missing)):
        with pytest.raises(FileNotFoundError) as e:
            call(given)
        assert isinstance(e.value, kubescribe.KubescribeError) and isinstance(e.value, kubescribe.MissingFileError)
        assert e.value.errno == errno.ENOENT and e.value.filename == str(missing)
        assert str(missing) in str(e.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_an_os_error(tmp_path):
    f = tmp_path / "locked.yaml"
    f.write_text("kind: x\n")
    f.chmod(0)
    with pytest.raises(kubescribe.FileReadError) as e:
        kubescribe.validate(f)
    assert isinstance(e.value, OSError) and e.value.errno == errno.EACCES


def test_a_directory_where_a_file_is_expected_is_an_os_error():
    with pytest.raises(kubescribe.FileReadError) as e:
        kubescribe.validate(EXAMPLES)
    assert isinstance(e.value, OSError) and not isinstance(e.value, FileNotFoundError)
    assert e.value.errno == errno.EISDIR


@pytest.mark.parametrize("call,match", [
    (lambda: kubescribe.EventStore().context(budget=-1), ">= 0"),
    (lambda: kubescribe.EventStore().context(per_kind=-3), ">= 0"),
    (lambda: kubescribe.EventStore().events("files", limit=-1), ">= 0"),
    (lambda: kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=0), "max_attempts must be at least 1"),
    (lambda: kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=-2), ">= 0"),
    (lambda: kubescribe.Pipeline(kubescribe.Generator.synth(), max_new_tokens=0), "max_new_tokens"),
    (lambda: kubescribe.Pipeline(kubescribe.Generator.synth(), temperature=-1.0), "temperature"),
    (lambda: kubescribe.Pipeline(kubescribe.Generator.synth(), template="haiku"), "template"),
    (lambda: kubescribe.parse_intent("block /etc for app=a in namespace b", max_attempts=0), "max_attempts"),
    (lambda: kubescribe.build_prompt(NGINX, context_budget=-1), ">= 0"),
    (lambda: kubescribe.Generator.synth().generate("x", max_new_tokens=-1), ">= 0"),
    (lambda: kubescribe.Generator.synth().generate_batch(["x"], max_new_tokens=-5), ">= 0"),
    (lambda: kubescribe.Generator.ort(EXAMPLES, threads=-1), ">= 0"),
    (lambda: kubescribe.build_dataset([EXAMPLES / "policies"], test_share=2.0), "between 0 and 1"),
    (lambda: kubescribe.synthesize(NGINX, engine="selinux"), "engine"),
    (lambda: kubescribe.policy_schema("NoSuchKind"), "unknown kind"),
    (lambda: kubescribe.EventStore().events("nope"), "expected one of"),  # type: ignore[arg-type]
    (lambda: kubescribe.bleu_batch(["a", "b"], ["a"]), "2 hypotheses"),
    (lambda: kubescribe.chrf("a b", "a c", word_order=-1), ">= 0"),
    (lambda: kubescribe.chrf_batch(["a b"], ["a c"], word_order=-1), ">= 0"),
    (lambda: kubescribe.corpus_chrf(["a b"], ["a c"], word_order=-2), ">= 0"),
    (lambda: kubescribe.Policy.from_yaml("a: ["), "malformed"),
    (lambda: kubescribe.Intent.from_dict({**NGINX, "oops": 1}), "oops"),
    (lambda: kubescribe.synthesize(NGINX, engine="cilium"), "cilium"),
    (lambda: kubescribe.Policy.from_file(EXAMPLES / "policies" / "invalid" / "kubearmor-mistakes.yaml"), "Nginx"),
], ids=lambda x: "" if callable(x) else x)
def test_bad_values_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match) as e:
        call()
    assert isinstance(e.value, kubescribe.KubescribeError)
    assert not isinstance(e.value, OverflowError)


@pytest.mark.parametrize("call", [
    lambda: kubescribe.validate(None),
    lambda: kubescribe.validate(42),
    lambda: kubescribe.validate([{"kind": "x"}, "a string"]),
    lambda: kubescribe.Policy.from_yaml(None),
    lambda: kubescribe.Policy.from_dict("kind: x"),
    lambda: kubescribe.Intent.from_dict("{}"),
    lambda: kubescribe.synthesize(3),
    lambda: kubescribe.Validator(crds=[{"kind": "CRD"}]),
    lambda: kubescribe.EventStore().context(budget="many"),
    lambda: kubescribe.EventStore().context(budget=True),
    lambda: kubescribe.EventStore().events("files", selector=3),
    lambda: kubescribe.EventStore().ingest([1]),
    lambda: kubescribe.coverage(1, "x"),
    lambda: kubescribe.build_prompt(NGINX, feedback=[3]),
], ids=lambda f: "")
def test_wrong_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_the_readme_table_lists_every_exception():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("| exception | raised for |"):]
    section = section[:section.index("\n\n")]
    for name in kubescribe.__all__:
        obj = getattr(kubescribe, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert f"`{name}`" in section, name
