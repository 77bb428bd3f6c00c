#!/usr/bin/env python3
"""Prints one line counting every test that ran, from the JUnit XML files the test runners
wrote (ctest --output-junit, pytest --junitxml): "N passed, N failed, N skipped".
Exit status 1 if any test failed or errored, or if no test ran at all."""
import sys
import xml.etree.ElementTree as ET


def main(paths):
    passed = failed = skipped = 0
    failures = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"test-summary: cannot read {path}: {e}")
            failed += 1
            failures.append(path)
            continue
        for case in root.iter("testcase"):
            name = f"{case.get('classname') or ''}::{case.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failures.append(name)
            elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
                skipped += 1
            else:
                passed += 1
    for f in failures:
        print(f"FAILED {f}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
