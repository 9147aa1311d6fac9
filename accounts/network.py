"""The client's address, believing X-Forwarded-For only from a configured proxy.

One answer for every door that counts by address: django-axes
(``AXES_CLIENT_IP_CALLABLE``), allauth's rate limits
(``AccountAdapter.get_client_ip``) and the token endpoint's throttle.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless it is a trusted proxy: then the address that proxy saw.

    With ``TRUSTED_PROXIES``, X-Forwarded-For is read from the right, skipping
    trusted proxies, and the first other address is the client's; the header
    counts only when REMOTE_ADDR itself is trusted. With ``NUM_PROXIES`` = n,
    the n-th address from the right is the client's (the proxies append what they
    saw). Neither set: REMOTE_ADDR, whatever the header says.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()))
    if proxies:
        networks = _networks(proxies)
        if not _trusted(_address(remote), networks):
            return remote
        for hop in reversed(forwarded):
            address = _address(hop)
            if address is None:
                return remote  # a proxy writes addresses; anything else is not to be believed
            if not _trusted(address, networks):
                return str(address)
        return str(_address(forwarded[0]))
    count = getattr(settings, "NUM_PROXIES", 0) or 0
    if count:
        address = _address(forwarded[-min(count, len(forwarded))])
        return str(address) if address is not None else remote
    return remote
