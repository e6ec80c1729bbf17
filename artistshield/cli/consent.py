"""``artistshield consent site``: "do not train on my work" files for your own website."""

from __future__ import annotations

import argparse
from pathlib import Path

from artistshield import identity
from artistshield.provenance import site


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "consent", help="state your refusal of AI training where crawlers look",
        description="Tools for the artist's consent beyond the marked files.",
    )
    actions = parser.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    site_parser = actions.add_parser(
        "site",
        help="write tdmrep.json, ai.txt and robots.txt lines for your website",
        description=(
            "Write .well-known/tdmrep.json (W3C TDMRep), ai.txt (Spawning) and robots.txt "
            "groups refusing the AI crawlers in resources/consent/ai-crawlers.txt, plus the "
            "IETF AI-preferences line (a draft). Upload them to your site's root. They state "
            "your refusal in machine-readable form; they cannot stop a crawler that ignores them."
        ),
    )
    site_parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    site_parser.add_argument(
        "--policy", metavar="URL", help="a page stating your licensing terms (tdm-policy)"
    )
    site_parser.add_argument(
        "--crawlers", type=Path, metavar="FILE",
        help="your own list of crawler user agents, one a line (default: the shipped list)",
    )
    site_parser.set_defaults(handler=run_site)


def run_site(args: argparse.Namespace) -> int:
    creator = identity.public_info().name if identity.exists() else None
    crawlers = site.known_crawlers(args.crawlers) if args.crawlers else None
    files = site.write_site(args.out, creator=creator, policy=args.policy, crawlers=crawlers)
    print(f"{files.tdmrep}: W3C TDMRep, mining rights reserved; serve it at /.well-known/tdmrep.json")
    print(f"{files.ai_txt}: Spawning ai.txt, no AI training on any media; serve it at /ai.txt")
    where = "add these lines to your robots.txt" if files.robots.name != "robots.txt" else "serve it at /robots.txt"
    print(f"{files.robots}: {len(files.crawlers)} AI crawlers refused, and the draft "
          f"IETF AI-preferences line; {where}")
    print("These state your refusal; crawlers that ignore them are not stopped by them.")
    return 0
