"""``grader release OUT_DIR [--force] [--gradescope]``: write the student repository (and the Gradescope bundle).

See ``grader.release.build`` for what goes in and what never does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import UserError

HELP = "write the student repository (stubs, public checks, CI workflow; no reference code or hidden checks)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a new (or empty) folder for the student repo")
    parser.add_argument("--force", action="store_true", help="replace a release made before in OUT_DIR (keeps .git)")
    parser.add_argument("--gradescope", action="store_true",
                        help="also write the Gradescope autograder bundle beside OUT_DIR (PRIVATE: holds the "
                        "secret, hidden checks and reference code)")
    parser.add_argument("--hidden-pack", action="store_true",
                        help="also write the hidden checks with their recorded answers beside OUT_DIR, for a CI "
                        "that grades hidden checks (GRADER_HIDDEN_DIR and GRADER_SECRET); PRIVATE")


def run(args: argparse.Namespace) -> int:
    from grader.pipeline.config import ConfigError, load_course_config
    from grader.release.build import ReleaseError, build_release
    from grader.release.bundles import build_gradescope_bundle, build_hidden_pack, private_dir

    try:
        secret = load_course_config().secret
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if (args.gradescope or args.hidden_pack) and not secret:
        raise UserError("hidden checks need the course secret: set GRADER_SECRET first")
    print("recording the public checks' reference answers (runs every public check against the reference)...")
    try:
        release = build_release(args.out_dir, secret=secret, force=args.force)
    except ReleaseError as exc:
        raise UserError(str(exc)) from None
    print(f"student repository: {release.root} ({len(release.files)} files; scanned clean of reference code, "
          f"hidden checks{' and the secret' if secret else ''})")
    if not secret:
        print("note: no course secret set, so the scan could not look for it")
    print(f"next: cd {release.root} && git init && git add . && git commit -m 'Homework' and push it for your students")
    try:
        if args.gradescope:
            zip_path = build_gradescope_bundle(private_dir(release.root, "gradescope"), secret)
            _shout(zip_path, "the course SECRET, the HIDDEN checks and the REFERENCE code",
                   "Upload it to Gradescope (Configure Autograder) and nowhere else")
        if args.hidden_pack:
            print("recording the hidden checks' reference answers...")
            pack = build_hidden_pack(private_dir(release.root, "hidden"), secret)
            _shout(pack, "the HIDDEN checks and their ANSWERS",
                   "Keep it where only CI can fetch it; set GRADER_HIDDEN_DIR to it and GRADER_SECRET as a secret")
    except ReleaseError as exc:
        raise UserError(str(exc)) from None
    return 0


def _shout(path, holds: str, where: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\nPRIVATE: {path}\n  holds {holds}.\n  {where}; never commit it to the student "
          f"repository or hand it out.\n{bar}")
