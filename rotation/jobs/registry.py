"""What the worker knows how to do: job handlers and periodic passes, registered by their areas."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# finish(): records the job as finished in the current transaction; raises JobTakenOver when another worker
# holds it now. A handler calls it just before committing its work, so work and outcome commit together.
Finish = Callable[[], None]


@dataclass(frozen=True)
class JobHandler:
    """How to run one kind of job.

    ``run(subject_id, finish)`` does the work; it calls ``finish()`` in the
    transaction that commits the work (the worker does both itself when the
    handler returns without committing). It returns a line for the worker's
    log. ``failed(subject_id, message)`` records on the subject why it stopped,
    after the work's transaction was rolled back; the worker commits it.
    """

    kind: str
    describe: str  # for the log: "plan run", "import"
    run: Callable[[int, Finish], str]
    failed: Callable[[int, str], None]


@dataclass(frozen=True)
class Pass:
    """Periodic work: ``run(keep_going)`` does what is due and returns; the worker calls it every interval."""

    name: str
    run: Callable[[Callable[[], bool]], None]


class StopWorker(RuntimeError):
    """A pass cannot work with this configuration: the worker stops with this sentence."""


JOB_HANDLERS: dict[str, JobHandler] = {}
PASSES: dict[str, Pass] = {}


def job_handler(kind: str, describe: str, failed: Callable[[int, str], None]):
    """Register the decorated ``run(subject_id, finish)`` as the handler of ``kind``."""
    def register(run: Callable[[int, Finish], str]) -> Callable[[int, Finish], str]:
        JOB_HANDLERS[kind] = JobHandler(kind, describe, run, failed)
        return run

    return register


def periodic(name: str):
    """Register the decorated ``run(keep_going)`` as a pass the worker makes every interval."""
    def register(run: Callable[[Callable[[], bool]], None]) -> Callable[[Callable[[], bool]], None]:
        PASSES[name] = Pass(name, run)
        return run

    return register
