"""Which addresses an operator trusts as proxies, and who is really asking behind them.

The client address counts against abuse limits and the scheme decides Secure cookies, so
both may come from X-Forwarded-* headers only through a proxy listed in
FRONTLINE_TRUSTED_PROXIES (read by app/config/settings.py, applied by app/surfaces/http_security.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """Addresses or CIDR ranges (FRONTLINE_TRUSTED_PROXIES) as networks; ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR range") from None
    return networks


def trusted(address: str | None, proxies: list[Network]) -> bool:
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: list[Network]) -> str | None:
    """Who is really asking: the peer, unless the peer is a trusted proxy; then walk
    X-Forwarded-For from the right past trusted proxies (the left part is client-supplied)."""
    if not trusted(peer, proxies) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop, proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer
