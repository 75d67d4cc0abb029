"""The one HTTP layer: disk cache, User-Agent, retries with back-off, clear errors.

Every remote call camera-map makes (Overpass, Nominatim) goes through :func:`request`:

* the response body is cached on disk under ``settings.cache_dir / "http"``, keyed on the
  canonical request (method, URL, sorted parameters and form fields), so a second identical
  run makes no request at all; only answers that passed the caller's check are cached;
* every request carries ``settings.user_agent``, as the Overpass and Nominatim usage
  policies ask;
* HTTP 429, 502, 503 and 504, timeouts, reset or refused connections and bodies cut short
  are retried up to ``settings.max_tries`` times in all, pausing ``settings.backoff`` seconds
  and doubling the pause every time, or for as long as the server's ``Retry-After`` asks;
* after the last try a :class:`~camera_map.errors.NetworkError` names the URL, the number of
  tries, the last failure and what to do about it.

It uses only the standard library (``urllib``).
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import http.client
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from . import settings
from ._io import write_bytes_atomic, write_text_atomic
from .errors import NetworkError

__all__ = ["RETRY_STATUS", "cache_key", "cache_path", "request"]

logger = logging.getLogger(__name__)

#: HTTP status codes worth another try: rate limited, or a gateway/server that is busy.
RETRY_STATUS: Final = frozenset({429, 502, 503, 504})

#: Longest pause a ``Retry-After`` header may impose, in seconds.
MAX_RETRY_AFTER: Final = 300.0


class _RetryableError(Exception):
    """One failed try that may succeed when repeated."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def cache_key(
    url: str,
    *,
    method: str = "GET",
    params: Mapping[str, object] | None = None,
    data: Mapping[str, object] | None = None,
) -> str:
    """Return the hex digest that identifies a request in the cache.

    The key covers the method, the URL and the parameters and form fields sorted by name;
    headers (such as the User-Agent) are not part of it.
    """
    canonical = json.dumps(
        [
            method.upper(),
            url,
            sorted((str(k), str(v)) for k, v in (params or {}).items()),
            sorted((str(k), str(v)) for k, v in (data or {}).items()),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cache_path(key: str) -> Path:
    """Return the file that holds (or would hold) the cached body for ``key``."""
    return Path(settings.cache_dir) / "http" / key[:2] / f"{key}.body"


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _excerpt(body: bytes, limit: int = 300) -> str:
    """A short, readable excerpt of an error body (HTML tags removed)."""
    text = body.decode("utf-8", errors="replace")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def _describe_os_error(exc: BaseException) -> tuple[str, bool]:
    """Describe a transport failure and say whether it is worth retrying."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, BaseException):
            return _describe_os_error(reason)
        return f"connection failed ({reason})", True
    if isinstance(exc, socket.gaierror):
        return f"the host name could not be resolved ({exc}); are you offline?", False
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer within the timeout", True
    if isinstance(exc, http.client.IncompleteRead):
        return (
            f"the response was cut short ({len(exc.partial)} bytes received, "
            f"{exc.expected} more expected)",
            True,
        )
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected):
        return "the server closed or reset the connection", True
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused", True
    if isinstance(exc, http.client.HTTPException | ConnectionError):
        return f"{type(exc).__name__}: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


def _once(req: urllib.request.Request, timeout: float) -> bytes:
    """Send one request; raise :class:`_RetryableError` for failures worth another try."""
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as exc:
        body = b""
        with contextlib.suppress(OSError, http.client.HTTPException):
            body = exc.read()
        detail = _excerpt(body)
        reason = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        if exc.code in RETRY_STATUS:
            raise _RetryableError(reason, _retry_after(exc.headers.get("Retry-After"))) from exc
        raise NetworkError(
            f"{req.full_url} answered {reason}. This is not worth retrying: check the "
            "request (for Overpass, the query) and the endpoint URL."
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        reason, retry = _describe_os_error(exc)
        if retry:
            raise _RetryableError(reason) from exc
        raise NetworkError(f"request to {req.full_url} failed: {reason}") from exc


def request(
    url: str,
    *,
    method: str = "GET",
    params: Mapping[str, object] | None = None,
    data: Mapping[str, object] | None = None,
    timeout: float | None = None,
    validate: Callable[[bytes], object] | None = None,
    use_cache: bool | None = None,
    service: str = "the server",
    hint: str = "",
) -> bytes:
    """Fetch ``url`` through the cache, retrying transient failures; return the body.

    Parameters
    ----------
    url
        Endpoint, without query string (pass ``params`` instead).
    method
        ``"GET"`` or ``"POST"``.
    params
        Query-string parameters.
    data
        Form fields, sent URL-encoded in the body of a POST.
    timeout
        Seconds to wait for one try; default ``settings.timeout``.
    validate
        Called with the body of a 200 answer; if it raises :class:`ValueError` the answer
        counts as a failed try (for example JSON cut short) and is not cached.
    use_cache
        Read and write the disk cache; default ``settings.use_cache``.
    service
        Name of the remote service for messages ("Overpass API").
    hint
        Extra advice appended to the final error message.

    Returns
    -------
    bytes
        The response body.

    Raises
    ------
    NetworkError
        After the last try failed, or at once for an answer not worth retrying
        (HTTP 400, 404, …, or a host name that does not resolve).
    """
    method = method.upper()
    cache = settings.use_cache if use_cache is None else use_cache
    key = cache_key(url, method=method, params=params, data=data)
    path = cache_path(key)
    if cache and path.is_file():
        logger.debug("%s: answered from cache %s", url, path)
        return path.read_bytes()

    full_url = url
    if params:
        full_url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
            {k: str(v) for k, v in params.items()}
        )
    body = (
        urllib.parse.urlencode({k: str(v) for k, v in data.items()}).encode("utf-8")
        if data is not None
        else None
    )
    headers = {"User-Agent": settings.user_agent, "Accept": "*/*"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    wait_timeout = float(settings.timeout if timeout is None else timeout)
    tries = max(1, int(settings.max_tries))
    last = "no try was made"
    for attempt in range(1, tries + 1):
        req = urllib.request.Request(full_url, data=body, headers=headers, method=method)
        try:
            content = _once(req, wait_timeout)
            if validate is not None:
                try:
                    validate(content)
                except ValueError as exc:
                    raise _RetryableError(f"the answer could not be used: {exc}") from exc
        except _RetryableError as failure:
            last = str(failure)
            if attempt == tries:
                break
            pause = (
                failure.retry_after
                if failure.retry_after is not None
                else float(settings.backoff) * 2 ** (attempt - 1)
            )
            logger.warning(
                "%s: try %d of %d failed (%s); trying again in %.1f s",
                url, attempt, tries, last, pause,
            )  # fmt: skip
            time.sleep(pause)
            continue
        if cache:
            _store(path, content, url=url, method=method, params=params, data=data)
        return content
    advice = (
        f"Try again later, allow more time (settings.timeout is {wait_timeout:g} s), or use "
        "another endpoint."
    )
    raise NetworkError(
        f"{service} at {url} failed after {tries} {'try' if tries == 1 else 'tries'}; "
        f"last failure: {last}. {advice}" + (f" {hint}" if hint else "")
    )


def _store(
    path: Path,
    content: bytes,
    *,
    url: str,
    method: str,
    params: Mapping[str, object] | None,
    data: Mapping[str, object] | None,
) -> None:
    """Write a body and a small description of its request into the cache."""
    try:
        write_bytes_atomic(path, content)
        meta = {
            "url": url,
            "method": method,
            "params": {str(k): str(v) for k, v in (params or {}).items()},
            "data": {str(k): str(v) for k, v in (data or {}).items()},
            "fetched": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        write_text_atomic(
            path.with_suffix(".json"), json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
        )
    except OSError as exc:  # a cache we cannot write must not lose the answer
        logger.warning("could not write the HTTP cache at %s: %s", path, exc)
