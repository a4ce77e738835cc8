"""Type stubs of the Rust extension ``kubescribe._kubescribe``.

Every public name the extension exports is declared here;
``tests/test_stubs.py`` checks that both lists agree.
"""

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypedDict, final, overload

__version__: str

_StrPath = str | os.PathLike[str]
_Selector = dict[str, str] | str
_Table = Literal["processes", "files", "flows", "syscalls"]
_ValidityName = Literal["unreviewed", "approved", "denied"]
_TemplateName = Literal["zero-shot", "few-shot", "checklist", "schema-first", "minimal"]
_EngineName = Literal["kubearmor", "tetragon", "cilium", "kubernetes", "calico"]

# ---- exceptions -------------------------------------------------------------
# Defined in kubescribe/_errors.py; every one compares by value, hashes and
# pickles. Missing files are FileNotFoundErrors, bad values ValueErrors.

class KubescribeError(Exception):
    """Base class of every error kubescribe raises."""

class FileReadError(KubescribeError, OSError):
    """A file exists but cannot be read (``errno``, ``strerror``, ``filename`` set)."""

class MissingFileError(FileReadError, FileNotFoundError):
    """A path argument names no file or directory."""

class ArgumentError(KubescribeError, ValueError):
    """An argument's value is out of range or not one of the accepted names."""

class ParseError(KubescribeError, ValueError):
    """Input is not well-formed (YAML/JSON syntax, a document or intent that does not fit its schema)."""

class ValidationError(KubescribeError, ValueError):
    """A policy failed validation."""

    diagnostics: list[Diagnostic]
    reports: list[Report]

class SynthesisError(KubescribeError, ValueError):
    """The synthesizer cannot express an intent for the chosen engine, or it is incomplete."""

class ModelError(KubescribeError):
    """A generator backend or model failed."""

class ConversionError(KubescribeError, ValueError):
    """A network policy cannot be converted (or, strict, not without losses)."""

    losses: list[dict[str, str]]

class StoreError(KubescribeError):
    """The event store failed."""

class MetricsError(KubescribeError, ValueError):
    """Metric inputs do not fit (mismatched lengths, an unknown metric)."""

# ---- validation -------------------------------------------------------------

class _DiagnosticDict(TypedDict):
    layer: str
    layer_number: int
    severity: str
    path: str
    line: int | None
    rule: str
    message: str
    expected: str | None
    actual: str | None
    suggestion: str | None
    fix_path: str | None
    replacement: Any
    origin: str

@final
class Diagnostic:
    """One finding about one policy document."""

    @property
    def layer(self) -> Literal["parse", "schema", "resource", "property", "permissive", "fidelity"]: ...
    @property
    def layer_number(self) -> int: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def path(self) -> str:
        """JSON pointer of the offending value ("" = the whole document)."""
    @property
    def line(self) -> int | None: ...
    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def expected(self) -> str | None: ...
    @property
    def actual(self) -> str | None: ...
    @property
    def suggestion(self) -> str | None:
        """The suggested fix, in words."""
    @property
    def fix_path(self) -> str | None: ...
    @property
    def replacement(self) -> Any: ...
    @property
    def origin(self) -> str: ...
    @property
    def is_error(self) -> bool: ...
    def to_dict(self) -> _DiagnosticDict: ...
    def __hash__(self) -> int: ...

@final
class Report:
    """The validation result of one document."""

    @property
    def source(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def line(self) -> int | None: ...
    @property
    def api_version(self) -> str | None: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def valid(self) -> bool: ...
    @property
    def diagnostics(self) -> list[Diagnostic]: ...
    @property
    def errors(self) -> list[Diagnostic]: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...
    def raise_for_errors(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_yaml(self) -> str: ...
    def to_json(self, indent: bool = False) -> str: ...
    def to_pandas(self) -> Any: ...  # pandas.DataFrame, one row per diagnostic (pandas imported lazily)
    def _repr_html_(self) -> str: ...
    def __hash__(self) -> int: ...

# A path (str or os.PathLike), one document (dict) or several; text goes through text=.
_Source = _StrPath | dict[str, Any] | Sequence[dict[str, Any]]

@final
class Validator:
    """Validates policy documents against the built-in schemas and user CRDs."""

    def __init__(
        self,
        crds: Sequence[_StrPath] | None = None,
        *,
        crd_texts: Sequence[str] | None = None,
        builtin: bool = True,
        permissive: bool = True,
    ) -> None: ...
    @property
    def crd_kinds(self) -> list[str]: ...
    @overload
    def validate(self, source: _Source, *, store: EventStore | None = None, name: str | None = None) -> list[Report]: ...
    @overload
    def validate(self, *, text: str, store: EventStore | None = None, name: str | None = None) -> list[Report]: ...
    def validate_files(self, paths: Sequence[_StrPath], *, store: EventStore | None = None) -> list[Report]: ...

@overload
def validate(
    source: _Source,
    *,
    crds: Sequence[_StrPath] | None = None,
    crd_texts: Sequence[str] | None = None,
    store: EventStore | None = None,
    name: str | None = None,
    permissive: bool = True,
) -> list[Report]: ...
@overload
def validate(
    *,
    text: str,
    crds: Sequence[_StrPath] | None = None,
    crd_texts: Sequence[str] | None = None,
    store: EventStore | None = None,
    name: str | None = None,
    permissive: bool = True,
) -> list[Report]: ...
def validate_files(
    paths: Sequence[_StrPath],
    *,
    crds: Sequence[_StrPath] | None = None,
    crd_texts: Sequence[str] | None = None,
    store: EventStore | None = None,
    permissive: bool = True,
) -> list[Report]: ...
def diagnostics_records(reports: Sequence[Report]) -> list[dict[str, Any]]: ...

# ---- policies -------------------------------------------------------------

@final
class Policy:
    """A policy that passed layer-1 validation, in kubescribe's typed model."""

    @staticmethod
    def from_yaml(text: str) -> Policy: ...
    @staticmethod
    def from_json(text: str) -> Policy: ...
    @staticmethod
    def from_dict(document: dict[str, Any]) -> Policy: ...
    @staticmethod
    def from_file(path: _StrPath) -> Policy: ...
    @property
    def engine(self) -> _EngineName: ...
    @property
    def kind(self) -> str: ...
    @property
    def api_version(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def namespace(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_yaml(self) -> str: ...
    def to_json(self, indent: bool = True) -> str: ...
    def _repr_html_(self) -> str: ...
    def __hash__(self) -> int: ...

@overload
def parse_policies(source: _Source, *, name: str | None = None) -> list[Policy]: ...
@overload
def parse_policies(*, text: str, name: str | None = None) -> list[Policy]: ...
def to_yaml(policies: Sequence[Policy]) -> str: ...
def policy_schema(kind: str) -> dict[str, Any]: ...
def policy_kinds() -> list[dict[str, Any]]: ...
def engines() -> list[str]: ...

# ---- intents and synthesis ------------------------------------------------

@final
class Intent:
    """An engine-agnostic security intent (fields as in ``Intent.schema()``)."""

    def __init__(self, **fields: Any) -> None: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> Intent: ...
    @staticmethod
    def from_json(text: str) -> Intent: ...
    @staticmethod
    def from_file(path: _StrPath) -> Intent: ...
    @staticmethod
    def schema() -> dict[str, Any]: ...
    @property
    def engine(self) -> str | None: ...
    @property
    def domain(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def direction(self) -> str | None: ...
    @property
    def namespace(self) -> str | None: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def rationale(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: bool = False) -> str: ...
    def to_yaml(self) -> str: ...
    def with_engine(self, engine_name: str) -> Intent: ...
    def __hash__(self) -> int: ...

# An Intent, its fields as a dict, or the path of an intent JSON file (JSON text: Intent.from_json).
_IntentArg = Intent | dict[str, Any] | _StrPath

def synthesize(intent: _IntentArg, engine: str | None = None) -> Policy: ...
def engines_for(domain: str) -> list[str]: ...

# ---- event store ----------------------------------------------------------

@final
class Context:
    """What the selected workloads were observed doing, summarized for a prompt."""

    @property
    def observations(self) -> int: ...
    @property
    def namespace(self) -> str | None: ...
    @property
    def selector(self) -> dict[str, str]: ...
    @property
    def tokens(self) -> int: ...
    def render(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_yaml(self) -> str: ...
    def __hash__(self) -> int: ...

@final
class EventStore:
    """Deduplicated runtime events and workloads (SQLite; in memory without a path)."""

    def __init__(self, path: _StrPath | None = None) -> None: ...
    @staticmethod
    def open(path: _StrPath) -> EventStore: ...
    @property
    def path(self) -> str | None: ...
    def ingest_files(self, *paths: _StrPath, max_record_mib: int = 4) -> dict[str, Any]: ...
    def ingest(
        self,
        records: Iterable[dict[str, Any] | str | bytes],
        *,
        name: str = "<python>",
        max_record_mib: int = 4,
    ) -> dict[str, Any]: ...
    def counts(self) -> dict[str, int]: ...
    def events(
        self,
        table: _Table,
        *,
        namespace: str | None = None,
        selector: _Selector | None = None,
        path_prefix: str | None = None,
        peer_namespace: str | None = None,
        peer_selector: _Selector | None = None,
        remote_ip: str | None = None,
        validity: _ValidityName | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]: ...
    def to_pandas(
        self,
        table: _Table,
        *,
        namespace: str | None = None,
        selector: _Selector | None = None,
        path_prefix: str | None = None,
        peer_namespace: str | None = None,
        peer_selector: _Selector | None = None,
        remote_ip: str | None = None,
        validity: _ValidityName | None = None,
        limit: int | None = None,
    ) -> Any: ...  # pandas.DataFrame of events(...), flattened (pandas imported lazily)
    def workloads(
        self, namespace: str | None = None, selector: _Selector | None = None
    ) -> list[dict[str, Any]]: ...
    def ingested_files(self) -> list[dict[str, Any]]: ...
    def set_validity(self, table: _Table, ids: int | Sequence[int], validity: _ValidityName) -> int: ...
    def approve(self, table: _Table, ids: int | Sequence[int]) -> int: ...
    def deny(self, table: _Table, ids: int | Sequence[int]) -> int: ...
    def context(
        self,
        *,
        namespace: str | None = None,
        selector: _Selector | None = None,
        budget: int = 400,
        per_kind: int | None = None,
    ) -> Context: ...
    def close(self) -> None: ...
    def __enter__(self) -> EventStore: ...
    def __exit__(self, t: object, v: object, tb: object) -> bool: ...

# ---- text metrics ---------------------------------------------------------

@final
class WordNet:
    """A WordNet 3.0 database directory for METEOR's synonym stage."""

    def __init__(self, dir: _StrPath) -> None: ...
    @property
    def dir(self) -> str: ...
    def synonyms(self, word: str) -> list[str]: ...

class _RougeDict(TypedDict):
    rouge1: float
    rouge2: float
    rougeL: float
    rougeLsum: float

class _PairScoresDict(TypedDict):
    bleu: float
    chrf_pp: float
    rouge1: float
    rouge2: float
    rougeL: float
    rougeLsum: float
    rouge1_stem: float
    rouge2_stem: float
    rougeL_stem: float
    rougeLsum_stem: float
    meteor: float

def bleu(hypothesis: str, reference: str) -> float: ...
def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float: ...
def bleu_batch(hypotheses: Sequence[str], references: Sequence[str]) -> list[float]: ...
def chrf(hypothesis: str, reference: str, *, word_order: int = 2) -> float: ...
def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str], *, word_order: int = 2) -> float: ...
def chrf_batch(
    hypotheses: Sequence[str], references: Sequence[str], *, word_order: int = 2
) -> list[float]: ...
def rouge(hypothesis: str, reference: str, *, stem: bool = False, detail: bool = False) -> dict[str, Any]: ...
def rouge_batch(hypotheses: Sequence[str], references: Sequence[str], *, stem: bool = False) -> list[_RougeDict]: ...
def corpus_rouge(hypotheses: Sequence[str], references: Sequence[str], *, stem: bool = False) -> _RougeDict: ...
def meteor(hypothesis: str, reference: str, *, wordnet: WordNet | None = None) -> float: ...
def meteor_batch(
    hypotheses: Sequence[str], references: Sequence[str], *, wordnet: WordNet | None = None
) -> list[float]: ...
def corpus_meteor(
    hypotheses: Sequence[str], references: Sequence[str], *, wordnet: WordNet | None = None
) -> float: ...
def score(hypothesis: str, reference: str, *, wordnet: WordNet | None = None) -> _PairScoresDict: ...
def corpus_score(
    hypotheses: Sequence[str], references: Sequence[str], *, wordnet: WordNet | None = None
) -> dict[str, Any]: ...

@final
class BatchScores:
    """Per-pair and corpus scores of a batch."""

    @property
    def pairs(self) -> list[dict[str, Any]]: ...
    @property
    def corpus(self) -> dict[str, Any]: ...
    def column(self, metric: str) -> list[float]: ...
    def __len__(self) -> int: ...
    def to_pandas(self) -> Any: ...  # pandas.DataFrame, one row per pair (pandas imported lazily)
    def _repr_html_(self) -> str: ...
    def __hash__(self) -> int: ...

def score_batch(
    hypotheses: Sequence[str],
    references: Sequence[str],
    *,
    ids: Sequence[Any] | None = None,
    wordnet: WordNet | None = None,
    parallel: bool = True,
) -> BatchScores: ...

# ---- policy metrics -------------------------------------------------------

def compiles(text: str, *, validator: Validator | None = None) -> bool: ...
def compile_rate(outputs: Sequence[str], *, validator: Validator | None = None) -> float: ...
def coverage(
    generated: Policy | str, reference: Policy | str, *, validator: Validator | None = None
) -> float | None: ...
def essential_resources(policy: Policy | str) -> list[tuple[str, str]]: ...

# ---- generation, the regeneration loop, simulation ------------------------

@final
class ConstraintTarget:
    """What a constrained policy generation must produce: a kind's generation schema shaped by an intent."""

    @staticmethod
    def for_intent(intent: Intent | Mapping[str, Any] | str, engine: str | None = None) -> ConstraintTarget: ...
    @staticmethod
    def for_kind(kind: str) -> ConstraintTarget: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def label(self) -> str: ...
    def schema(self) -> dict[str, Any]: ...

@final
class ConstraintVocab:
    """A tokenizer's vocabulary as the grammar sees it (from tokenizer.json text)."""

    def __init__(self, tokenizer_json: str, eos_token_ids: Sequence[int], *, vocab_size: int | None = None) -> None: ...
    @property
    def vocab_size(self) -> int: ...
    @property
    def eos_token_ids(self) -> list[int]: ...
    def decode(self, tokens: Sequence[int]) -> str: ...

@final
class TokenConstraint:
    """One sequence's matcher: the allowed-token mask after a prefix; consumes tokens."""

    def __init__(self, target: ConstraintTarget, vocab: ConstraintVocab) -> None: ...
    def copy(self) -> TokenConstraint: ...
    def reset(self) -> None: ...
    def forced_tokens(self) -> list[int]: ...
    def allowed_mask(self) -> bytes: ...  # vocab_size bytes, 1 = allowed
    def allowed_tokens(self) -> list[int]: ...
    def commit(self, token: int) -> None: ...
    def consume(self, tokens: Sequence[int]) -> None: ...
    def closing_token(self) -> int: ...
    def tokens_to_close(self, limit: int) -> int | None: ...
    def tokens_to_close_after(self, token: int, limit: int) -> int | None: ...
    @property
    def is_finished(self) -> bool: ...
    def is_accepting(self) -> bool: ...
    def is_eos(self, token: int) -> bool: ...
    @property
    def tokens(self) -> list[int]: ...
    @property
    def text(self) -> str: ...
    @property
    def vocab_size(self) -> int: ...

@final
class Generator:
    """A text generator: synthesizer, replay, ONNX Runtime model or OpenAI-compatible server."""

    @staticmethod
    def synth(engine: str | None = None) -> Generator: ...
    @staticmethod
    def replay(outputs: dict[str, str] | _StrPath, *, name: str = "replay") -> Generator: ...
    @staticmethod
    def ort(model_dir: _StrPath, *, threads: int = 0, gpu: bool = False) -> Generator: ...
    @staticmethod
    def candle(
        model: _StrPath,
        *,
        gpu: bool = False,
        precision: Literal["f32", "bf16", "f16"] = "f32",
        lora: _StrPath | None = None,
        tokenizer: _StrPath | None = None,
        name: str | None = None,
    ) -> Generator: ...
    @staticmethod
    def openai(
        base_url: str,
        model: str = "default",
        *,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        context_window: int | None = None,
    ) -> Generator: ...
    @staticmethod
    def from_callable(
        fn: Callable[..., str | Mapping[str, Any] | Sequence[float] | int],
        *,
        name: str = "callable",
        constrained: bool = False,
        settings: bool = False,
        vocab: ConstraintVocab | None = None,
    ) -> Generator: ...  # fn(messages[, target][, max_new_tokens=, temperature=, seed=]) -> text or {"text", ...}; with vocab: fn(messages, tokens[, ...]) -> next-token logits or a token id
    @staticmethod
    def from_transformers(
        model: Any, tokenizer: Any, *, name: str | None = None, constrain: bool = True, **gen_kwargs: Any
    ) -> Generator: ...
    @property
    def name(self) -> str: ...
    def generate(
        self,
        prompt: str | Sequence[Mapping[str, str]],
        *,
        max_new_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
        stop: Sequence[str] | None = None,
    ) -> dict[str, Any]: ...
    def generate_batch(
        self,
        prompts: Iterable[str | Sequence[Mapping[str, str]]],
        *,
        max_new_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
        stop: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]: ...

@final
class PipelineResult:
    """The policy, status and trace of one `Pipeline.run`."""

    @property
    def policy(self) -> Policy | None: ...  # valid and implements the intent
    @property
    def best_effort(self) -> Policy | None: ...  # when failed: the last valid policy that does not implement the intent
    @property
    def status(self) -> Literal["valid", "fallback", "failed"]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def diagnostics(self) -> list[Diagnostic]: ...
    @property
    def trace(self) -> dict[str, Any]: ...
    def attempt_records(self) -> list[dict[str, Any]]: ...
    def to_pandas(self) -> Any: ...  # pandas.DataFrame of attempt_records()
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: bool = False) -> str: ...
    def to_yaml(self) -> str: ...
    def __hash__(self) -> int: ...

@final
class Pipeline:
    """The generate -> validate -> regenerate loop over one generator."""

    def __init__(
        self,
        generator: Generator,
        *,
        max_attempts: int = 3,
        fallback_to_synth: bool = False,
        context_budget: int = 400,
        max_new_tokens: int = 1024,  # raised to the intent's policy size when shorter (trace: answer_budget_raised_to)
        temperature: float = 0.0,
        seed: int = 0,
        template: _TemplateName | None = None,
        constrain: bool = True,
        fidelity: bool = True,
    ) -> None: ...
    def run(self, intent: _IntentArg, *, store: EventStore | None = None) -> PipelineResult: ...

@final
class Simulation(Mapping[str, Any]):
    """The verdicts of ``simulate``: a read-only mapping (totals, rules, decisions, notes, defaults)."""

    def __getitem__(self, key: str) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def __contains__(self, key: object) -> bool: ...
    def keys(self) -> list[str]: ...  # type: ignore[override]
    def items(self) -> list[tuple[str, Any]]: ...  # type: ignore[override]
    def values(self) -> list[Any]: ...  # type: ignore[override]
    def get(self, key: str, default: Any = None) -> Any: ...
    @property
    def totals(self) -> dict[str, int]: ...
    @property
    def decisions(self) -> list[dict[str, Any]]: ...
    @property
    def events(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def records(self) -> list[dict[str, Any]]: ...
    def to_pandas(self) -> Any: ...  # pandas.DataFrame, one row per event
    def __hash__(self) -> int: ...

def simulate(
    policies: Policy | _Source | Sequence[Policy | dict[str, Any] | _StrPath],
    *,
    store: EventStore | None = None,
    events: Iterable[dict[str, Any]] | None = None,
    namespace: str | None = None,
    selector: _Selector | None = None,
    posture: Literal["block", "audit"] = "block",
) -> Simulation: ...  # totals: allowed, audited, blocked, unknown, not_simulated; rules, decisions, notes; defaults (API-server defaults filled in, when any)

# ---- natural-language intents, prompts, conversion --------------------------

class _EntityDict(TypedDict):
    kind: str
    text: str
    start: int
    end: int

@final
class ParsedIntent:
    """An intent parsed from text, with the entities found and the assumptions made."""

    @property
    def intent(self) -> Intent: ...
    @property
    def entities(self) -> list[_EntityDict]: ...
    @property
    def assumptions(self) -> list[str]: ...
    @property
    def attempts(self) -> list[dict[str, Any]]: ...  # raw, problems, elapsed_s, completion_tokens, constrained
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: bool = False) -> str: ...
    def __hash__(self) -> int: ...

def parse_intent(
    text: str,
    *,
    store: EventStore | None = None,
    generator: Generator | None = None,
    max_attempts: int = 3,
    max_new_tokens: int = 512,
    temperature: float = 0.0,
    seed: int = 0,
) -> ParsedIntent: ...

@final
class Prompt:
    """A built prompt: system and user messages for an engine and kind."""

    @property
    def system(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def engine(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def api_version(self) -> str: ...
    @property
    def template(self) -> str: ...
    def messages(self) -> list[dict[str, str]]: ...
    def to_text(self) -> str: ...
    def format_chat(self, *, model: _StrPath | None = None, template: str | None = None) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: bool = False) -> str: ...
    def __hash__(self) -> int: ...

def build_prompt(
    intent: _IntentArg,
    *,
    template: _TemplateName = "zero-shot",
    store: EventStore | None = None,
    context: Context | None = None,
    context_budget: int = 400,
    feedback: Iterable[Diagnostic | dict[str, Any]] | None = None,
) -> Prompt: ...
def templates() -> list[_TemplateName]: ...
def system_prompt(engine: _EngineName | str) -> str: ...

@final
class Conversion:
    """Converted network policies and what could not be expressed."""

    @property
    def policies(self) -> list[Policy]: ...
    @property
    def losses(self) -> list[dict[str, str]]: ...
    @property
    def lossless(self) -> bool: ...
    def to_yaml(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __hash__(self) -> int: ...

def convert(
    policy: Policy | dict[str, Any] | _StrPath,
    target: Literal["kubernetes", "cilium", "calico"] | str,
    *,
    strict: bool = False,
) -> Conversion: ...

# ---- dataset builder -----------------------------------------------------------

@final
class Dataset:
    """(prompt, policy) pairs split by seed policy, and what was left out."""

    @property
    def train(self) -> list[dict[str, Any]]: ...
    @property
    def test(self) -> list[dict[str, Any]]: ...
    @property
    def skipped(self) -> list[dict[str, str]]: ...
    @property
    def documents(self) -> int: ...
    def write(self, directory: _StrPath) -> None: ...
    def __len__(self) -> int: ...
    def __hash__(self) -> int: ...

def build_dataset(
    policies: Sequence[_StrPath],
    *,
    store: EventStore | None = None,
    seed: int = 0,
    test_share: float = 0.2,
    augment: int = 4,
    templates: Sequence[_TemplateName] | None = None,
    context_budget: int = 300,
) -> Dataset: ...
