"""The exception hierarchy of kubescribe (raised by the Rust extension).

Defined in Python, not with PyO3's ``create_exception!``, because two of them
have two bases (``MissingFileError`` is a ``FileNotFoundError`` *and* a
``KubescribeError``) and every one compares by value, hashes and pickles with
the attributes kubescribe sets on it (``.diagnostics``, ``.reports``,
``.losses``). The extension imports this module when it loads and raises
these classes; ``kubescribe`` and ``kubescribe._kubescribe`` export them.

How failures map (also in README's *Python* section):

===========================  =========================================  ===================
exception                    raised for                                 also a
===========================  =========================================  ===================
``MissingFileError``         a path argument that does not exist        ``FileNotFoundError``
``FileReadError``            a path that exists but cannot be read      ``OSError``
``ArgumentError``            an argument value out of range (``-1``)    ``ValueError``
``ParseError``               malformed YAML/JSON, an intent or policy   ``ValueError``
                             text that does not fit its schema
``ValidationError``          a policy fails validation                  ``ValueError``
``SynthesisError``           an intent the engine cannot express        ``ValueError``
``ConversionError``          a policy the target cannot express         ``ValueError``
``MetricsError``             mismatched hypotheses/references           ``ValueError``
``StoreError``               the SQLite store failed or is closed       ``KubescribeError``
``ModelError``               a generator backend failed                 ``KubescribeError``
===========================  =========================================  ===================

Wrong argument *types* raise plain ``TypeError``.
"""

from typing import Any, Tuple


class KubescribeError(Exception):
    """Base class of every error kubescribe raises."""

    __module__ = "kubescribe"

    def _value(self) -> Tuple[Any, ...]:
        return (type(self), self.args, getattr(self, "__dict__", {}))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, KubescribeError)
        return self._value() == other._value()

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # args only: the attributes may be lists; equal errors have equal args.
        return hash((type(self), self.args))


class FileReadError(KubescribeError, OSError):
    """A file kubescribe was asked to read exists but cannot be read (``errno``, ``filename`` set)."""

    __module__ = "kubescribe"


class MissingFileError(FileReadError, FileNotFoundError):
    """A path argument names no file or directory (``errno.ENOENT``, ``filename`` set)."""

    __module__ = "kubescribe"


class ArgumentError(KubescribeError, ValueError):
    """An argument's value is out of range or not one of the accepted names."""

    __module__ = "kubescribe"


class ParseError(KubescribeError, ValueError):
    """Input is not well-formed (YAML/JSON syntax, an intent or document that does not fit its schema)."""

    __module__ = "kubescribe"


class ValidationError(KubescribeError, ValueError):
    """A policy failed validation; ``.diagnostics`` lists the errors, ``.reports`` the reports."""

    __module__ = "kubescribe"


class SynthesisError(KubescribeError, ValueError):
    """The synthesizer cannot express an intent for the chosen engine, or the intent is incomplete."""

    __module__ = "kubescribe"


class ConversionError(KubescribeError, ValueError):
    """A network policy cannot be converted to the target engine (or, strict, not without losses; ``.losses`` lists them)."""

    __module__ = "kubescribe"


class MetricsError(KubescribeError, ValueError):
    """Metric inputs do not fit (hypotheses and references of different lengths, an unknown metric)."""

    __module__ = "kubescribe"


class StoreError(KubescribeError):
    """The event store failed (SQLite error, a closed store)."""

    __module__ = "kubescribe"


class ModelError(KubescribeError):
    """A generator backend or model failed."""

    __module__ = "kubescribe"
