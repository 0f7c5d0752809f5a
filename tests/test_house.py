"""Rules of the house that hold across every package, checked on the source."""
import ast
from collections import Counter
from pathlib import Path

import rotation

ROOT = Path(rotation.__file__).parent

# Where a transaction may be rolled back by hand: the request's own end, the error pages, a command's
# refusal, and the background work that runs its own transactions (worker, queue, sender, job runners).
ROLLBACK_ALLOWED = {
    "db.py",  # the once-per-request hook
    "errors.py",  # an error page: nothing of the request is kept
    "refusals.py",  # command_change: a refused command
    "jobs/worker.py",
    "jobs/queue.py",
    "outbox/sender.py",
    "outbox/cli.py",  # the sender's command, when the database cannot be used
    "plans/runs.py",  # a plan run's job
    "imports/background.py",  # an import's check, run by the worker
    "feeds/revalidation.py",  # before the app: a read-only look-up outside any request
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
