"""Hugging Face ``transformers`` integration: the intent-shaped grammar of
``kubescribe generate`` as a ``LogitsProcessor``, and an in-process model as
a ``Generator`` for the generate -> validate -> fidelity -> regenerate loop.

Neither torch nor transformers is a dependency of kubescribe: they are
imported when a processor runs or a model generates.

- :class:`IntentLogitsProcessor` masks every logit the grammar does not
  allow (a ``TokenConstraint`` per sequence, built in Rust from the same
  ``ConstraintTarget`` as the Rust decoder's), feeds the tokens the grammar
  forces one by one, and, given ``max_new_tokens``, keeps every sequence
  closable within the budget (near its end, the model's most likely allowed
  token if the document still closes after it, else the grammar's close-out),
  so every sequence ends as a complete policy valid at layer 1 (schema and
  API-server rules) as long as the budget holds the shortest document.
- :func:`transformers_callable` is what ``Generator.from_transformers``
  wraps: chat template, ``model.generate``, the processor on constrained
  attempts.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from kubescribe._kubescribe import ConstraintTarget, ConstraintVocab, TokenConstraint

__all__ = [
    "IntentLogitsProcessor",
    "constraint_vocab",
    "model_name",
    "transformers_callable",
]


def _eos_ids(tokenizer: Any, eos_token_ids: Optional[Union[int, Sequence[int]]]) -> List[int]:
    if eos_token_ids is None:
        eos_token_ids = getattr(tokenizer, "eos_token_id", None)
    if eos_token_ids is None:
        raise ValueError("the tokenizer has no eos_token_id: pass eos_token_ids=")
    if isinstance(eos_token_ids, int):
        return [eos_token_ids]
    return [int(t) for t in eos_token_ids]


def _tokenizer_json(tokenizer: Any) -> str:
    if isinstance(tokenizer, str):
        return tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)  # PreTrainedTokenizerFast
    if backend is not None:
        return str(backend.to_str())
    if hasattr(tokenizer, "to_str"):  # tokenizers.Tokenizer
        return str(tokenizer.to_str())
    raise TypeError(
        "expected a fast Hugging Face tokenizer, a tokenizers.Tokenizer or tokenizer.json text, "
        f"got {type(tokenizer).__name__} (slow tokenizers have no tokenizer.json)"
    )


def constraint_vocab(
    tokenizer: Any,
    *,
    eos_token_ids: Optional[Union[int, Sequence[int]]] = None,
    vocab_size: Optional[int] = None,
) -> ConstraintVocab:
    """The ``ConstraintVocab`` of a fast Hugging Face tokenizer (or a
    ``tokenizers.Tokenizer``, or ``tokenizer.json`` text): its vocabulary as
    bytes, the ids that end generation (default the tokenizer's
    ``eos_token_id``; give them for a bare ``tokenizers.Tokenizer``) and the
    model's logits width when it is larger than the tokenizer's vocabulary."""
    eos = _eos_ids(tokenizer, eos_token_ids) if not isinstance(tokenizer, str) or eos_token_ids else []
    if not eos:
        raise ValueError("eos_token_ids: at least one id ends generation")
    return ConstraintVocab(_tokenizer_json(tokenizer), eos, vocab_size=vocab_size)


class _Row:
    """One sequence's state: its matcher, the forced tokens not emitted yet,
    whether it ended, whether the close-out took over."""

    def __init__(self, constraint: TokenConstraint, slack: int) -> None:
        self.c = constraint
        self.slack = slack
        self.queue: List[int] = []
        self.seen = 0
        self.done = False
        self.closing = False
        self.need = 0
        self.steps = 0

    def consume(self, tokens: List[int]) -> None:
        for t in tokens[self.seen :]:
            self.seen += 1
            if self.done:
                continue
            if self.queue:
                expected = self.queue.pop(0)
                if t != expected:
                    raise RuntimeError(
                        f"IntentLogitsProcessor: token {t} generated where the grammar forced "
                        f"{expected} (another processor changed the masked scores?)"
                    )
                continue
            if self.c.is_eos(t):
                self.done = True
                continue
            self.c.commit(t)

    def next_allowed(self, remaining: Optional[int], scores: Any) -> Union[int, List[int], bytes]:
        """A single token, the EOS ids (``[]``), or the mask bytes.

        With a budget (``remaining`` tokens before the EOS), the row keeps the
        invariant that the grammar-only close-out still fits: far from the end
        any allowed token may follow; within ``slack`` tokens of the close-out's
        length the model's most likely allowed token is taken only when the
        document can still be closed after it, else the close-out finishes it.
        """
        if self.done:
            return []
        if not self.queue and not self.c.is_finished:
            self.queue.extend(self.c.forced_tokens())
        if self.queue:
            self.need = max(self.need - 1, 0)
            return self.queue[0]
        if self.c.is_finished:
            return []
        self.steps += 1
        if remaining is None:
            return self.c.allowed_mask()
        if self.closing:
            return self.c.closing_token()
        if remaining > self.need + self.slack:
            if self.steps % 16 != 1:
                self.need = max(self.need - 1, 0)
                return self.c.allowed_mask()
            need = self.c.tokens_to_close(remaining)
            self.need = remaining if need is None else need
            if remaining > self.need + self.slack:
                return self.c.allowed_mask()
        # Near the end: the most likely allowed token, if the document still closes after it.
        mask = self.c.allowed_mask()
        allowed = [i for i, a in enumerate(mask[: len(scores)]) if a]
        if allowed:
            best = max(allowed, key=lambda i: float(scores[i]))
            after = self.c.tokens_to_close_after(best, max(remaining - 1, 0))
            if after is not None and after <= remaining - 1:
                self.need = after
                return best
        self.closing = True
        return self.c.closing_token()


class IntentLogitsProcessor:
    """A ``transformers`` ``LogitsProcessor`` that keeps generation inside the
    intent-shaped grammar of ``kubescribe generate``: every disallowed logit
    becomes ``-inf``.

    ``target`` is a ``ConstraintTarget``, or an intent (``Intent``, dict or
    JSON) made into one with ``engine``. ``tokenizer`` is the model's fast
    tokenizer (or pass a prepared ``vocab``). Give ``max_new_tokens`` (the
    value passed to ``generate``) and the document is closed out by the
    grammar alone when the budget runs short, so a sequence never stops
    half-written. Batches (left-padded) work: one matcher per row, set up at
    the first call; use a new processor per ``generate`` call.

    After generation, ``texts`` holds each row's document as the grammar
    consumed it.
    """

    def __init__(
        self,
        target: Any,
        tokenizer: Any = None,
        *,
        engine: Optional[str] = None,
        vocab: Optional[ConstraintVocab] = None,
        max_new_tokens: Optional[int] = None,
        eos_token_ids: Optional[Union[int, Sequence[int]]] = None,
    ) -> None:
        if not isinstance(target, ConstraintTarget):
            target = ConstraintTarget.for_intent(target, engine)
        if vocab is None:
            if tokenizer is None:
                raise ValueError("IntentLogitsProcessor: give a tokenizer or a vocab")
            vocab = constraint_vocab(tokenizer, eos_token_ids=eos_token_ids)
        self.target = target
        self.vocab = vocab
        self.max_new_tokens = max_new_tokens
        self._proto = TokenConstraint(target, vocab)
        # The longest close-out, from an empty document: a margin for what one token can open.
        self._slack = (self._proto.tokens_to_close(1 << 20) or 0) + 16
        self._rows: Optional[List[_Row]] = None
        self._prompt_len = 0

    @property
    def texts(self) -> List[str]:
        """Each row's text as the grammar consumed it (empty before the first call)."""
        return [r.c.text for r in self._rows or []]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        batch, width = scores.shape
        if self._rows is None:
            self._rows = [_Row(self._proto.copy(), self._slack) for _ in range(batch)]
            self._prompt_len = int(input_ids.shape[1])
        generated = int(input_ids.shape[1]) - self._prompt_len
        remaining = None
        if self.max_new_tokens is not None:
            # The EOS after the document takes one token of the budget too.
            remaining = self.max_new_tokens - generated - 1
        allowed = torch.zeros((batch, width), dtype=torch.bool)
        eos = [t for t in self.vocab.eos_token_ids if t < width]
        rows = input_ids[:, self._prompt_len :].tolist()
        for b, row in enumerate(self._rows):
            row.consume(rows[b])
            a = row.next_allowed(remaining, scores[b])
            if isinstance(a, int):
                allowed[b, a] = True
            elif isinstance(a, list):
                allowed[b, eos] = True
            else:
                mask = torch.frombuffer(bytearray(a), dtype=torch.bool)
                n = min(width, mask.shape[0])
                allowed[b, :n] = mask[:n]
        allowed = allowed.to(scores.device)
        return scores.masked_fill(~allowed, float("-inf"))


def model_name(model: Any) -> str:
    """A model's name for reports: its ``name_or_path``, else its class."""
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", "") or getattr(model, "name_or_path", "")
    return str(name) if name else type(model).__name__


def transformers_callable(
    model: Any, tokenizer: Any, **gen_kwargs: Any
) -> Callable[..., Dict[str, Any]]:
    """The callable ``Generator.from_transformers`` wraps: ``fn(messages,
    target=None, *, max_new_tokens, temperature, seed)`` applies the
    tokenizer's chat template (``role: content`` lines when it has none),
    runs ``model.generate`` (greedy at temperature 0, else sampling seeded
    by ``seed``; ``gen_kwargs`` override), with an
    :class:`IntentLogitsProcessor` for ``target`` when one is given, and
    returns ``{"text", "prompt_tokens", "completion_tokens"}``."""
    vocab: List[ConstraintVocab] = []

    def generate(
        messages: Sequence[Mapping[str, str]],
        target: Optional[ConstraintTarget] = None,
        *,
        max_new_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Dict[str, Any]:
        import torch
        from transformers import LogitsProcessorList

        msgs = [{"role": m["role"], "content": m["content"]} for m in messages]
        if getattr(tokenizer, "chat_template", None):
            ids = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt")
        else:
            text = "".join(f"{m['role']}: {m['content']}\n" for m in msgs) + "assistant: "
            ids = tokenizer(text, return_tensors="pt").input_ids
        ids = ids.to(model.device)
        kw: Dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            kw["temperature"] = temperature
            torch.manual_seed(seed)
        kw.update(gen_kwargs)
        processors = list(kw.pop("logits_processor", None) or [])
        if target is not None:
            if not vocab:
                width = int(model.get_output_embeddings().weight.shape[0])
                vocab.append(constraint_vocab(tokenizer, vocab_size=max(width, len(tokenizer))))
            processors.append(
                IntentLogitsProcessor(target, vocab=vocab[0], max_new_tokens=kw["max_new_tokens"])
            )
            kw.setdefault("eos_token_id", vocab[0].eos_token_ids)
        if kw.get("pad_token_id") is None:
            pad = tokenizer.pad_token_id
            kw["pad_token_id"] = pad if pad is not None else _eos_ids(tokenizer, None)[0]
        with torch.no_grad():
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                logits_processor=LogitsProcessorList(processors),
                **kw,
            )
        new = out[0, ids.shape[1] :].tolist()
        eos = set(_eos_ids(tokenizer, kw.get("eos_token_id")))
        while new and new[-1] in eos:
            new.pop()
        text = tokenizer.decode(new, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return {"text": text, "prompt_tokens": int(ids.shape[1]), "completion_tokens": len(new)}

    return generate
