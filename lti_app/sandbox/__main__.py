"""Run the sandbox LMS on its own port (development only).

    python -m lti_app.sandbox --port 5123 --tool-url http://127.0.0.1:5000 \\
        --activity skolen-blaamerker="Blåmerker på armen"

Then register it in the tool with the values printed at start.
"""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path

from werkzeug.serving import run_simple

from . import Activity, SandboxSettings, create_sandbox_app, platform_registration


def _activity(text: str) -> Activity:
    case_id, sep, title = text.partition("=")
    if not sep or not case_id or not title:
        raise argparse.ArgumentTypeError("use CASE_ID=Tittel")
    return Activity(case_id=case_id.strip(), title=title.strip())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lti_app.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5123)
    parser.add_argument("--tool-url", default="http://127.0.0.1:5000")
    parser.add_argument("--data-dir", type=Path, default=Path("instance/sandbox"))
    parser.add_argument(
        "--activity", type=_activity, action="append", default=[], metavar="CASE_ID=TITTEL"
    )
    parser.add_argument("--allow-fault-injection", action="store_true")
    parser.add_argument(
        "--extra-members",
        type=int,
        default=0,
        metavar="N",
        help="generated employees on the roster (NRPS paging)",
    )
    parser.add_argument(
        "--platform-storage",
        action="store_true",
        help="LTI platform storage (post_message_forwarding), as Canvas",
    )
    parser.add_argument(
        "--canvas-registration",
        action="store_true",
        help="Dynamic Registration answers without deployment_id",
    )
    parser.add_argument(
        "--messages-as-objects",
        action="store_true",
        help="openid-configuration messages_supported as objects",
    )
    parser.add_argument(
        "--no-deep-linking-data",
        action="store_true",
        help="no `data` in deep linking requests (Moodle)",
    )
    args = parser.parse_args()
    activities = tuple(args.activity) or (Activity("demo", "Demo-aktivitet"),)
    settings = SandboxSettings(
        base_url=f"http://{args.host}:{args.port}",
        tool_base_url=args.tool_url.rstrip("/"),
        data_dir=args.data_dir,
        activities=lambda: activities,
        secret_key=os.environ.get("STEGVIS_SANDBOX_SECRET") or secrets.token_urlsafe(32),
        allow_fault_injection=args.allow_fault_injection,
        extra_members=args.extra_members,
        platform_storage=args.platform_storage,
        canvas_style_registration=args.canvas_registration,
        messages_as_objects=args.messages_as_objects,
        deep_linking_data=not args.no_deep_linking_data,
    )
    for name, value in platform_registration(settings).items():
        print(f"{name:15} {value}")
    run_simple(args.host, args.port, create_sandbox_app(settings), threaded=True)


if __name__ == "__main__":
    main()
