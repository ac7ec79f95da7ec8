"""The data package's error type and what happens to examples with bad files.

A bad file produces the same message everywhere (readers, validator,
converter, inference): a :class:`DataError` whose text is ``"<path>: <problem>"``.
Depending on ``DataConfig.skip_bad_examples`` a reader either stops at the
first bad example (:func:`raise_or_skip` raises, pointing at
``sievenet-data validate``) or skips it and counts it in :class:`BadExamples`.

No TensorFlow here: the file readers, the validator and TFLite inference use
this module without loading it.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """A data file is missing, unreadable or inconsistent.

    Args:
        path: the offending file (or directory).
        problem: what is wrong, in words.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):
        return (DataError, (self.path, self.problem))


class BadExamples:
    """Examples skipped because of bad files (``DataConfig.skip_bad_examples``).

    Thread-safe (the decoders run in parallel); each distinct problem is
    logged once as a warning.

    Attributes:
        problems: dict message -> times skipped (repeats come from later epochs).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.problems: dict[str, int] = {}

    def add(self, message: str) -> None:
        with self._lock:
            first = message not in self.problems
            self.problems[message] = self.problems.get(message, 0) + 1
            count = len(self.problems)
        if first:
            logger.warning("skipping bad example (%d so far): %s", count, message)

    @property
    def count(self) -> int:
        """Number of distinct bad examples seen."""
        return len(self.problems)

    def summary(self) -> str:
        return f"{self.count} bad example(s) skipped"


def raise_or_skip(problems, root, skip: bool, bad_examples: BadExamples | None = None) -> None:
    """Deal with the problems found while listing a dataset, before any decoding.

    Args:
        problems: the :class:`DataError` list of an index (see
            :func:`sievenet_tf.data.folder.index_folder`).
        root: the dataset root, named in the advice.
        skip: ``skip_bad_examples``: log (or count in ``bad_examples``) instead
            of raising.
        bad_examples: where skipped problems are counted; None logs them.

    Raises:
        DataError: the first problem (with the count of the others) when not
            skipping.
    """
    if not problems:
        return
    if skip:
        for problem in problems:
            if bad_examples is not None:
                bad_examples.add(str(problem))
            else:
                logger.warning("skipping bad example: %s", problem)
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    raise DataError(
        first.path,
        f"{first.problem}{more}; run `sievenet-data validate {root}` for the full list, "
        "or set data.skip_bad_examples=true to skip bad examples",
    )
