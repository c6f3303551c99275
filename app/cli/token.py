"""`frontline token`: API tokens for the Queue API (a company's helpdesk acting as an agent).

    frontline token issue EMAIL [--label "Zendesk bridge"]   prints a new token, once
    frontline token revoke EMAIL                              revokes every token of that agent

Only a hash of each token is stored, so a lost token cannot be shown again: issue a new one.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.config.settings import Settings
from app.core.errors import FrontlineError, StoreError
from app.store import AccountStore, open_database


def add_parser(commands: Any) -> None:
    token = commands.add_parser("token", help="issue or revoke Queue API tokens for an agent")
    actions = token.add_subparsers(dest="token_command", required=True)
    issue = actions.add_parser("issue", help="print a new token for an agent (shown once)")
    issue.add_argument("email")
    issue.add_argument("--label", default="", help="what the token is for, e.g. the helpdesk's name")
    revoke = actions.add_parser("revoke", help="revoke every token of an agent")
    revoke.add_argument("email")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with open_database(settings) as db:
        accounts = AccountStore(db)
        for agent in settings.agents:  # the configured agents, as the server seeds them
            await accounts.seed_agent(agent.email, agent.name, agent.password.get_secret_value(), agent.role,
                                      agent.tenants, agent.language)
        if args.token_command == "issue":
            try:
                token = await accounts.issue_token(args.email, args.label)
            except StoreError as exc:
                raise FrontlineError(f"{exc} Agents come from FRONTLINE_AGENTS.") from None
            print(token)
            return 0
        revoked = await accounts.revoke_tokens(args.email)
        print(f"revoked {revoked} token(s) of {args.email.lower()}")
        return 0
