"""Functions run in worker processes by test_multiprocessing.py (a module of
its own, so that a `spawn` child can import them by name)."""

import os

import kubescribe


def generate_and_validate(intent: dict):
    """Generates a policy for `intent` with the loop (synthesizer backend) and
    validates it; everything returned crosses back to the parent by pickle."""
    result = kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=2).run(intent)
    assert result.policy is not None
    reports = kubescribe.validate(result.policy.to_dict())
    return result, result.policy, reports, kubescribe.Intent.from_dict(intent)


def validate_file(path: str):
    """Validates one file; an invalid policy raises ValidationError, which the
    pool pickles back to the parent."""
    return kubescribe.Policy.from_file(path)


def pid(_: int) -> int:
    """The worker's process id."""
    return os.getpid()
