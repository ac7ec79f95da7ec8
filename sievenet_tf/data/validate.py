"""Check every file a dataset's pairs lists refer to (``sievenet-data validate ROOT``).

Problems found, each reported as ``"<file>: <problem>"``: missing files and
folders; unreadable, truncated or corrupt images; unsupported pixel formats
(e.g. float or 16-bit photos, colour parses outside the LIP palette); absurd
image sizes (checked from the header, before decoding: decompression bombs);
malformed pose JSON (whatever the bytes), no person in a pose file, wrong
keypoint counts, coordinates that are not finite float32 numbers or lie far
outside the photo; label ids outside the layout's label set; a parse whose
size differs from its photo, a cloth mask whose size differs from its cloth;
pair names or symbolic links that leave the dataset folder; malformed pairs
files.

The file readers are those of the training pipeline (:mod:`sievenet_tf.data.io`,
:mod:`sievenet_tf.data.pose`), so the validator and the reader agree on what is
wrong. A problem with one file never stops the check of the others.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os

from sievenet_tf import labels
from sievenet_tf.data import io, layouts, pose
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.folder import size_mismatch
from sievenet_tf.data.layouts import ExampleFiles


@dataclasses.dataclass
class ValidationReport:
    """Result of :func:`validate_dataset`."""

    root: str
    layout: str | None
    num_pairs: int = 0
    num_files: int = 0
    problems: list[DataError] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """One line per problem, ``"<file>: <problem>"``."""
        return [str(problem) for problem in self.problems]

    def summary(self) -> str:
        files_with_problems = len({problem.path for problem in self.problems})
        head = (
            f"{self.root} (layout {self.layout or 'unknown'}): checked {self.num_pairs} pairs, "
            f"{self.num_files} files"
        )
        if self.ok:
            return f"{head}: no problems"
        return f"{head}: {len(self.problems)} problem(s) in {files_with_problems} file(s)"


def _check_person(files: ExampleFiles, layout: str) -> list[DataError]:
    problems = []
    person_size = parse_size = None
    try:
        person_size = io.read_image(files.person).shape[:2]
    except DataError as e:
        problems.append(e)
    try:
        parse_size = io.read_parse(files.parse, num_labels=labels.num_dataset_labels(layout)).shape
    except DataError as e:
        problems.append(e)
    try:
        pose.read_keypoints(files.pose, layout, image_size=person_size)
    except DataError as e:
        problems.append(e)
    if person_size is not None and parse_size is not None:
        mismatch = size_mismatch(
            files.parse, "parse", parse_size, files.person, "person image", person_size
        )
        problems += [mismatch] if mismatch is not None else []
    return problems


def _check_cloth(files: ExampleFiles) -> list[DataError]:
    problems = []
    cloth_size = mask_size = None
    try:
        cloth_size = io.read_image(files.cloth).shape[:2]
    except DataError as e:
        problems.append(e)
    try:
        mask_size = io.read_mask(files.cloth_mask).shape
    except DataError as e:
        problems.append(e)
    if cloth_size is not None and mask_size is not None:
        mismatch = size_mismatch(
            files.cloth_mask, "cloth mask", mask_size, files.cloth, "cloth image", cloth_size
        )
        problems += [mismatch] if mismatch is not None else []
    return problems


def validate_dataset(
    root,
    layout: str = "auto",
    splits=layouts.SPLITS,
    *,
    paired: bool = False,
    workers: int | None = None,
) -> ValidationReport:
    """Check every file the pairs lists of ``root`` refer to.

    Args:
        root: dataset folder (VITON or VITON-HD layout).
        layout: "auto", "viton" or "viton_hd".
        splits: splits whose ``{split}_pairs.txt`` is checked; a missing pairs
            file is a problem only if no split has one.
        paired: also check each person's own garment (paired training/evaluation).
        workers: decoding threads (default: CPU count); Pillow decodes without the GIL.

    Returns:
        A :class:`ValidationReport`; problems are in pairs-file order.
    """
    root = os.fspath(root)
    report = ValidationReport(root=root, layout=None)
    if not os.path.isdir(root):
        report.problems.append(DataError(root, "missing dataset folder"))
        return report
    try:
        report.layout = layouts.resolve_layout(root, layout)
    except (DataError, ValueError) as e:
        report.problems.append(e if isinstance(e, DataError) else DataError(root, str(e)))
        return report

    present = [s for s in splits if os.path.isfile(layouts.pairs_path(root, s))]
    if not present:
        names = " or ".join(os.path.basename(layouts.pairs_path(root, s)) for s in splits)
        report.problems.append(DataError(root, f"no pairs file ({names})"))
        return report

    person_tasks, cloth_tasks = _files_to_check(root, report, present, paired)
    report.num_files = 3 * len(person_tasks) + 2 * len(cloth_tasks)
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(_guarded, _check_person, f, report.layout) for f in person_tasks]
        futures += [pool.submit(_guarded, _check_cloth, f) for f in cloth_tasks]
        for future in futures:
            report.problems.extend(future.result())
    unique = {str(problem): problem for problem in report.problems}  # keeps first-seen order
    report.problems = list(unique.values())
    return report


def _files_to_check(root, report: ValidationReport, splits, paired: bool):
    """The distinct persons and cloths the pairs lists refer to (problems met on
    the way go to ``report``).

    Returns:
        (person files, cloth files): two lists of :class:`ExampleFiles`.
    """
    person_tasks: dict[str, ExampleFiles] = {}
    cloth_tasks: dict[str, ExampleFiles] = {}
    for split in splits:
        try:
            dirs = layouts.split_dirs(root, split, report.layout)
            listed = layouts.read_pairs(layouts.pairs_path(root, split))
            cloth_names = set(os.listdir(dirs["cloth"])) if paired else None
        except DataError as e:
            report.problems.append(e)
            continue
        for person_name, cloth_name in listed:
            report.num_pairs += 1
            names = [cloth_name]
            if paired:
                try:
                    own = layouts.paired_cloth(dirs, person_name, cloth_names)
                except DataError as e:
                    report.problems.append(e)
                else:
                    names += [own] if own != cloth_name else []
            for name in names:
                try:
                    files = layouts.example_files(dirs, person_name, name, report.layout)
                except DataError as e:
                    report.problems.append(e)
                    continue
                person_tasks.setdefault(files.person, files)
                cloth_tasks.setdefault(files.cloth, files)
    return list(person_tasks.values()), list(cloth_tasks.values())


def _guarded(check, files: ExampleFiles, *args) -> list[DataError]:
    """``check(files, *args)``; an unexpected failure is reported as a problem of
    the example instead of stopping the validation of the others."""
    try:
        return check(files, *args)
    except DataError as e:
        return [e]
    except Exception as e:  # one bad example must not hide the rest
        return [DataError(files.person, f"could not be checked ({type(e).__name__}: {e})")]
