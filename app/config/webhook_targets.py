"""Where a webhook may be sent: public internet addresses only, unless the operator opts in.

A webhook URL comes from a tenant's handoff policy and Frontline POSTs to it from inside the
operator's network, so a URL naming loopback, a private range or the cloud metadata address
(169.254.169.254) would make Frontline a proxy into that network. The host is checked twice:
at config load when the URL holds an address or a local name, and at every delivery after
resolving the name, each address it resolves to, and the request then goes to the address
that was checked (a name that resolves to something else a moment later, DNS rebinding,
gains nothing). `allow_private_webhooks: true` in the handoff policy turns this off, for a
helpdesk inside the same network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "metadata", "metadata.google.internal")


class WebhookTargetError(ValueError):
    """The webhook URL may not be posted to; the message names the URL and why."""


def address_problem(address: IPAddress) -> str | None:
    """Why posting to `address` is refused, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private or not address.is_global:
        return "a private or reserved network address"
    return None


def _host(url: str) -> str:
    host = urlsplit(url).hostname
    if not host:
        raise WebhookTargetError(f"webhook URL {url} has no host")
    return host.rstrip(".").lower()


def literal_problem(url: str) -> str | None:
    """What a config check can tell without DNS: the URL names an address or a local name."""
    host = _host(url)
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"webhook URL {url} points to {host}, a local name; set allow_private_webhooks: true " \
               "in the handoff policy if the receiver really is inside your network"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    problem = address_problem(address)
    if problem is None:
        return None
    return f"webhook URL {url} points to {problem} ({address}); set allow_private_webhooks: true " \
           "in the handoff policy if the receiver really is inside your network"


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, but speak to `host` (Host header, TLS name)."""

    url: str  # the URL with the checked address in place of the name
    host: str
    address: str


async def resolve_public(url: str) -> Target:
    """Resolve the URL's host and check every address; WebhookTargetError says which is refused."""
    parts = urlsplit(url)
    host = _host(url)
    if (problem := literal_problem(url)) is not None:
        raise WebhookTargetError(problem)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookTargetError(f"webhook URL {url}: cannot resolve {host} ({exc})") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found))
    if not addresses:
        raise WebhookTargetError(f"webhook URL {url}: {host} resolves to no address")
    for address in addresses:
        if (problem := address_problem(address)) is not None:
            raise WebhookTargetError(
                f"webhook URL {url} not posted: {host} resolves to {address}, {problem}; set "
                "allow_private_webhooks: true in the handoff policy if the receiver is inside your network")
    chosen = addresses[0]
    netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    if parts.port:
        netloc += f":{parts.port}"
    return Target(parts._replace(netloc=netloc).geturl(), host, str(chosen))
