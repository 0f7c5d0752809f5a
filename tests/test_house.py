"""Rules of the house that hold across every package, checked on the source."""
import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import rotation

ROOT = Path(rotation.__file__).parent

# Where a transaction may be rolled back by hand: the request's own end, the error pages, a command's
# refusal, and the background work that runs its own transactions (worker, queue, sender, job runners).
ROLLBACK_ALLOWED = {
    "transactions.py",  # the once-per-request hook
    "errors.py",  # an error page: nothing of the request is kept
    "refusals.py",  # command_change: a refused command
    "jobs/worker.py",
    "jobs/queue.py",
    "outbox/sender.py",
    "outbox/cli.py",  # the sender's command, when the database cannot be used
    "plans/runs.py",  # a plan run's job
    "imports/background.py",  # an import's check, run by the worker
    "feeds/revalidation.py",  # before the app: a read-only look-up outside any request
    "replies/fetching.py",  # one transaction per message read from the organizer mailbox
    "replies/cli.py",  # its command, when the database cannot be used
}

def rollback_calls() -> Counter:
    found: Counter = Counter()
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rollback":
                found[path.relative_to(ROOT).as_posix()] += 1
    return found


def test_no_view_or_service_rolls_back_by_hand():
    """A refused service call is undone by ``rotation.refusals.all_or_nothing`` and the request's hook."""
    by_hand = {name: count for name, count in rollback_calls().items() if name not in ROLLBACK_ALLOWED}
    assert by_hand == {}, (
        "Call the service inside rotation.refusals.all_or_nothing() (a command: command_change()) instead of "
        "db.session.rollback().")


# A function-level import is allowed only where it is not dodging a cycle: the package's ``create_app``
# imports the factory on its first call so that ``import rotation.planning`` does not build the web app.
DEFERRED_IMPORTS_ALLOWED = {("__init__.py", "create_app")}


def function_level_imports() -> list[tuple[str, str, int]]:
    """``(file, function, line)`` of every import of a ``rotation`` module made inside a function."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    of_rotation = (node.module or "").startswith("rotation") or bool(node.level)
                elif isinstance(node, ast.Import):
                    of_rotation = any(alias.name.startswith("rotation") for alias in node.names)
                else:
                    continue
                if of_rotation:
                    found.append((path.relative_to(ROOT).as_posix(), function.name, node.lineno))
    return found


def test_no_function_level_import_dodges_a_cycle():
    """Every area imports what it needs at the top of its modules: a cycle would show at once."""
    deferred = [(name, function, line) for name, function, line in function_level_imports()
                if (name, function) not in DEFERRED_IMPORTS_ALLOWED]
    assert deferred == [], "Import at the top of the module; an area above is reached through signals."


def test_the_package_graph_has_no_cycle():
    """The import contracts of pyproject.toml: no two packages import each other, even through others, and
    problems sit above observations above the process map."""
    checked = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports; "
                              "raise SystemExit(lint_imports())"],
                             cwd=ROOT.parent, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
