"""README's Python example runs as written (from the repository root)."""

import os
import re

from conftest import REPO


def python_blocks():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_python_example_runs_as_written(capsys):
    [block] = python_blocks()
    assert "import kubescribe as ks" in block
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        scope: dict = {"__name__": "readme"}
        exec(compile(block, "README.md (Python)", "exec"), scope)
    finally:
        os.chdir(cwd)
    # What the example shows is what it got.
    assert scope["result"].status == "valid" and scope["result"].policy is not None
    assert [d.path for d in scope["report"].errors][:1] == ["/metadata/name"]
    assert len(scope["reports"]) >= 5 and scope["sim"]["totals"]
    assert len(scope["ds"]) > 0
    out = capsys.readouterr().out
    assert "schema /metadata/name 5" in out
