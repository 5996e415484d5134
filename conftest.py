"""Run the notebooks as pytest tests.

Each notebook runs top to bottom in one execnb shell, as `nbdev_test` does (same directives: cells flagged
with one of settings.ini's `tst_flags` are skipped unless `TEXTURE_AL_TEST_FLAGS="slow gpu"` enables them;
`nbdev_export()` cells are never run). Every code cell that tests something (fastcore `test_*` or `assert`)
is one pytest item, together with the set-up cells before it, so the summary counts real tests.
"""

import os, re
from configparser import ConfigParser
from pathlib import Path
import pytest

_ROOT = Path(__file__).parent
_cfg = ConfigParser(delimiters=["="])
_cfg.read(_ROOT / "settings.ini")
_TST_FLAGS = set(_cfg["DEFAULT"].get("tst_flags", "notest").split())
_SKIP = _TST_FLAGS - set(os.environ.get("TEXTURE_AL_TEST_FLAGS", "").split())
_IS_TEST = re.compile(
    r"\b(test_eq|test_ne|test_close|test_fail|test_warns|test_is|test_stdout|test_shuffled)\(|^\s*assert\b", re.M
)


def pytest_collect_file(parent, file_path):
    if (
        file_path.suffix == ".ipynb"
        and ".ipynb_checkpoints" not in file_path.parts
        and not file_path.name.startswith("_")
    ):
        return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    def collect(self):
        from nbdev.process import NBProcessor

        nb = NBProcessor(self.path, process=True).nb
        self.shell, self.broken = None, None
        pending = []
        for cell in nb.cells:
            if cell.cell_type != "code" or "nbdev_export" + "(" in cell.source:
                continue
            flags = set((getattr(cell, "directives_", None) or {}).keys()) & _SKIP
            pending.append((cell, flags))
            if _IS_TEST.search(cell.source):
                yield NotebookCell.from_parent(self, name=f"cell{cell.idx_}", cells=pending)
                pending = []
        if pending:
            yield NotebookCell.from_parent(self, name="end", cells=pending)


class NotebookCell(pytest.Item):
    def __init__(self, *, cells, **kw):
        super().__init__(**kw)
        self.cells = cells

    def runtest(self):
        nbf = self.parent
        if nbf.broken:
            raise NotebookError(f"not run: {nbf.broken} failed earlier in this notebook")
        if nbf.shell is None:
            from execnb.shell import CaptureShell

            os.environ["IN_TEST"] = "1"
            os.environ.setdefault("MPLBACKEND", "Agg")
            nbf.shell = CaptureShell(str(nbf.path))
        for cell, flags in self.cells:
            if flags:
                continue
            cwd = os.getcwd()
            os.chdir(nbf.path.parent)
            nbf.shell._cell_idx = cell.idx_ + 1
            try:
                nbf.shell.run(cell.source)
            finally:
                os.chdir(cwd)
            if nbf.shell.exc:
                nbf.broken = f"cell {cell.idx_}"
                raise NotebookError(nbf.shell.prettytb(fname=nbf.path))
        last_flags = self.cells[-1][1]
        if last_flags:
            pytest.skip(f"test cell flagged {' '.join(sorted(last_flags))} (enable with TEXTURE_AL_TEST_FLAGS)")

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookError) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"


class NotebookError(Exception):
    pass
