"""JUnit XML, the format every CI platform renders as a test report.

Messages go through ``safe_text``: XML 1.0 cannot hold most control characters at all (ElementTree would
write them raw, and the file would not parse), and a report viewer should not show them either.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path

from grader.pipeline.results import CheckResult
from grader.reports.safe_text import multi_line, one_line


def junit_xml(results: Sequence[CheckResult]) -> ET.ElementTree:
    """One ``<testsuite>`` per assignment, one ``<testcase>`` per check; fail -> ``<failure>``,
    error/timeout -> ``<error>``."""
    root = ET.Element("testsuites", name="grader")
    ordered = sorted(results, key=lambda r: r.assignment)
    for assignment, group in groupby(ordered, key=lambda r: r.assignment):
        rows = list(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=assignment,
            tests=str(len(rows)),
            failures=str(sum(r.status == "fail" for r in rows)),
            errors=str(sum(r.status in ("error", "timeout") for r in rows)),
            time=f"{sum(r.seconds for r in rows):.3f}",
        )
        for r in rows:
            case = ET.SubElement(
                suite, "testcase", classname=f"{assignment}.{r.target}", name=r.check_id, time=f"{r.seconds:.3f}"
            )
            summary, text = one_line(r.message)[:500], multi_line(r.message)
            if r.status == "fail":
                ET.SubElement(case, "failure", message=summary, type="wrong answer").text = text
            elif r.status in ("error", "timeout"):
                ET.SubElement(case, "error", message=summary, type=r.status).text = text
            ET.SubElement(case, "properties").extend(
                [
                    ET.Element("property", name="points", value=f"{r.points:g}"),
                    ET.Element("property", name="max_points", value=f"{r.max_points:g}"),
                ]
            )
    return ET.ElementTree(root)


def write_junit(results: Sequence[CheckResult], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_xml(results)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
