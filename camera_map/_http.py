"""The one HTTP layer: disk cache, throttle, User-Agent, retries, deadline, clear errors.

Every remote call camera-map makes (Overpass, Nominatim, place boundaries) goes through
:func:`request`:

* **cache**: the response body is cached on disk under ``settings.cache_dir / "http"``,
  keyed on the canonical request (method, URL, sorted parameters and form fields) or on a
  key the caller gives, with the date it was fetched beside it. A cached answer is used
  while it is younger than ``max_age`` and still passes the caller's check; an answer that
  fails the check is never cached, and one in the cache that fails it is asked again.
  With ``stale_if_error`` (Overpass uses it), a cached answer older than ``max_age`` stands
  in when the service cannot be reached or keeps failing, with a warning that says its age;
* **throttle**: with ``min_interval``, every process on the machine waits its turn through
  a lock file in ``settings.cache_dir / "throttle"`` (``fcntl.flock``), and a request starts
  at least ``min_interval`` seconds after the previous one to the same host *ended*, so
  the server never sees two of them closer than that;
* every request carries ``settings.user_agent``, as the Overpass and Nominatim usage
  policies ask;
* **retries**: HTTP 429, 500, 502, 503 and 504, timeouts, reset or refused connections and
  bodies cut short are retried up to ``settings.max_tries`` times in all, pausing
  ``settings.backoff`` seconds and doubling the pause every time, or for as long as the
  server's ``Retry-After`` asks;
* **deadline**: one try waits at most ``settings.timeout`` seconds, and the whole request,
  tries and pauses included, at most ``settings.deadline`` seconds;
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
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the throttle holds per process only
    fcntl = None  # type: ignore[assignment]

from . import settings
from ._io import write_bytes_atomic, write_text_atomic
from .errors import NetworkError

__all__ = ["RETRY_STATUS", "Response", "cache_key", "cache_path", "request"]

logger = logging.getLogger(__name__)

#: HTTP status codes worth another try: rate limited, or a server or gateway that failed
#: or is busy.
RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})

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


@dataclass(frozen=True)
class Response:
    """A response body and where it came from."""

    #: The body as received.
    body: bytes
    #: The endpoint asked (without the query string).
    url: str
    #: When the server gave this answer (UTC).
    fetched: datetime
    #: Whether it was read from the disk cache rather than asked for now.
    from_cache: bool
    #: What the request's ``validate`` returned for the body (the parsed answer), or
    #: ``None`` when there was no ``validate``.
    parsed: Any = field(default=None, compare=False, repr=False)

    def age(self, now: datetime | None = None) -> timedelta:
        """How old the answer is."""
        return (now or datetime.now(UTC)) - self.fetched

    def provenance(self) -> str:
        """Say where the answer came from, for the terminal and the build's notes.

        ``"answered now (2026-12-07 09:12 UTC)"`` or ``"from the cache: fetched
        2026-12-07 09:12 UTC, 3 h old"``.
        """
        when = self.fetched.strftime("%Y-%m-%d %H:%M UTC")
        if not self.from_cache:
            return f"answered now ({when})"
        return f"from the cache: fetched {when}, {describe_age(self.age())} old"


def describe_age(age: timedelta) -> str:
    """``"40 s"``, ``"12 min"``, ``"3 h"``, ``"2 days"`` (rounded down).

    >>> describe_age(timedelta(hours=3, minutes=50)), describe_age(timedelta(days=2))
    ('3 h', '2 days')
    """
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


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
        raise _RefusedError(reason, exc.code) from exc
    except (OSError, http.client.HTTPException) as exc:
        reason, retry = _describe_os_error(exc)
        if retry:
            raise _RetryableError(reason) from exc
        raise _RefusedError(reason, None) from exc


class _RefusedError(Exception):
    """A failure not worth another try (HTTP 400, 403, 404, an unknown host)."""

    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.status = status


# ------------------------------------------------------------------------------- throttle

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()
_LAST_END: dict[str, float] = {}  # host -> time.time() a request ended, when no lock file


def _thread_lock(host: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(host, threading.Lock())


def throttle_path(host: str) -> Path:
    """The lock file that orders requests to ``host`` (``netloc``) across processes."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", host)
    return Path(settings.cache_dir) / "throttle" / f"{safe}.lock"


def _wait_until(moment: float, min_interval: float) -> None:
    """Sleep until the wall clock reads ``moment``; a clock set back waits no longer."""
    limit = time.time() + min_interval
    moment = min(moment, limit)
    while (now := time.time()) < moment:
        time.sleep(moment - now)


def _lock(handle: IO[bytes], until: float | None) -> None:
    """Take the exclusive flock on ``handle``, waiting until ``until`` (monotonic) at most."""
    if until is None:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= until:
                raise _RetryableError("another process kept its turn to ask this server "
                                      "past the deadline") from None
            time.sleep(0.02)


@contextlib.contextmanager
def polite_turn(host: str, min_interval: float, *, until: float | None = None
                ) -> Iterator[None]:
    """Hold the machine-wide turn to send one request to ``host``.

    Waits until ``min_interval`` seconds have passed since the previous request to ``host``
    by any process ended, and records the end of this one when the block exits. Since every
    request is inside a turn and turns do not overlap, the server sees consecutive requests
    at least ``min_interval`` seconds apart, however slowly the processes run. ``until`` (a
    ``time.monotonic()`` value) bounds the wait for another process's turn.
    """
    if min_interval <= 0:
        yield
        return
    with _thread_lock(host):
        handle = _throttle_file(host)
        try:
            last = _LAST_END.get(host, 0.0)
            if handle is not None:
                _lock(handle, until)
                last = _recorded_end(handle, last)
            _wait_until(last + min_interval, min_interval)
            try:
                yield
            finally:
                _record_end(host, handle)
        finally:
            if handle is not None:
                handle.close()  # releases the flock


def _throttle_file(host: str) -> IO[bytes] | None:
    """The open lock file of ``host``; None where there is no ``fcntl`` or the file cannot
    be opened (then the pause holds in this process only, with a warning)."""
    if fcntl is None:
        return None
    path = throttle_path(host)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a+b")
    except OSError as exc:
        logger.warning("cannot use the throttle file %s (%s): the pause between "
                       "requests holds in this process only", path, exc)
        return None


def _recorded_end(handle: IO[bytes], default: float) -> float:
    """When the previous request to the host ended, as the lock file says (``default``
    when it says nothing readable)."""
    handle.seek(0)
    with contextlib.suppress(ValueError):
        return float(handle.read(64).decode("ascii", errors="replace") or 0)
    return default


def _record_end(host: str, handle: IO[bytes] | None) -> None:
    """Note that a request to ``host`` ended now, for this process and the others."""
    end = time.time()
    _LAST_END[host] = end
    if handle is not None:
        handle.seek(0)
        handle.truncate()
        handle.write(repr(end).encode("ascii"))
        handle.flush()


def json_answer(body: bytes, what: str) -> object:
    """The JSON of the answer ``body`` (``what``: "a Nominatim answer", …); ValueError
    (retried, never cached) when it is not JSON.

    Used by the services' ``validate`` callables, so that every client says the same of an
    answer that is not JSON or is nested past the parser's depth.
    """
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = body[:60].decode("utf-8", errors="replace")
        raise ValueError(f"not valid JSON ({exc}; it starts with {start!r})") from None
    except RecursionError:
        raise ValueError(f"JSON nested too deeply to be {what}") from None


# --------------------------------------------------------------------------------- cache


def _cached(
    path: Path, *, url: str, validate: Callable[[bytes], object] | None
) -> Response | None:
    """The cached answer at ``path``, of any age, if it exists and passes ``validate``."""
    try:
        body = path.read_bytes()
    except OSError:
        return None
    fetched: datetime | None = None
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
        fetched = datetime.strptime(meta["fetched"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if fetched is None:
        try:
            fetched = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            return None
    answer = Response(body, url, fetched, from_cache=True)
    if validate is None:
        return answer
    try:
        return replace(answer, parsed=validate(body))
    except ValueError as exc:
        logger.warning("%s: the cached answer %s cannot be used (%s); asking again",
                       url, path, exc)
        return None


# ------------------------------------------------------------------------------- request


def request(
    url: str,
    *,
    method: str = "GET",
    params: Mapping[str, object] | None = None,
    data: Mapping[str, object] | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    validate: Callable[[bytes], object] | None = None,
    use_cache: bool | None = None,
    max_age: float | None = None,
    stale_if_error: bool = False,
    key: str | None = None,
    min_interval: float = 0.0,
    service: str = "the server",
    hint: str = "",
) -> Response:
    """Fetch ``url`` through the cache, politely, retrying transient failures.

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
    deadline
        Seconds for the whole request, tries and pauses included; default
        ``settings.deadline``.
    validate
        Called with the body of a 200 answer (and of a cached one); if it raises
        :class:`ValueError` the answer counts as a failed try (for example JSON cut short)
        and is not cached. What it returns (the parsed answer) is handed on as
        :attr:`Response.parsed`, so that the body is parsed once.
    use_cache
        Read and write the disk cache; default ``settings.use_cache``.
    max_age
        Oldest cached answer to use, in seconds; ``None`` for any age.
    stale_if_error
        When the service cannot be reached or keeps failing (not when it refuses the
        request, e.g. HTTP 400), answer with a cached answer older than ``max_age`` rather
        than fail, with a warning that says how old it is (HTTP's ``stale-if-error``,
        RFC 5861). :meth:`Response.provenance` says so wherever the answer is reported.
    key
        Identifies the request in the cache instead of its exact parameters (a client that
        normalises its queries passes its own key).
    min_interval
        Seconds between the end of one request to this host and the start of the next, held
        across processes (see :func:`polite_turn`); 0 for none.
    service
        Name of the remote service for messages ("Overpass API").
    hint
        Extra advice appended to the final error message.

    Returns
    -------
    Response
        The body, what ``validate`` made of it, when it was fetched and whether it came
        from the cache.

    Raises
    ------
    NetworkError
        After the last try failed or the deadline passed, or at once for an answer not
        worth retrying (HTTP 400, 404, …, or a host name that does not resolve).
    """
    method = method.upper()
    cache = settings.use_cache if use_cache is None else use_cache
    cache_id = key if key is not None else cache_key(url, method=method, params=params,
                                                     data=data)
    path = cache_path(cache_id)
    kept = _cached(path, url=url, validate=validate) if cache else None
    if kept is not None:
        if max_age is None or kept.age().total_seconds() <= max_age:
            logger.info("%s: %s", url, kept.provenance())
            return kept
        logger.info("%s: the cached answer is %s old, older than allowed; asking again",
                    url, describe_age(kept.age()))
    plan = _plan(url, method=method, params=params, data=data, timeout=timeout,
                 deadline=deadline, validate=validate, min_interval=min_interval,
                 service=service, hint=hint)
    try:
        content, parsed = _send_with_retries(plan)
    except NetworkError as exc:
        if kept is None or not stale_if_error or exc.status is not None:
            raise
        logger.warning("%s Using the cached answer instead, %s.", exc, kept.provenance())
        return kept
    answer = Response(content, url, datetime.now(UTC).replace(microsecond=0),
                      from_cache=False, parsed=parsed)
    if cache:
        _store(path, answer, method=method, params=params, data=data)
    return answer


@dataclass(frozen=True)
class _Plan:
    """A request as it will be sent, with its limits and how to speak of it."""

    url: str
    method: str
    full_url: str
    body: bytes | None
    headers: dict[str, str]
    per_try: float
    allowed: float
    tries: int
    min_interval: float
    validate: Callable[[bytes], object] | None
    service: str
    hint: str

    @property
    def host(self) -> str:
        """The ``netloc`` the throttle orders requests by."""
        return urllib.parse.urlsplit(self.url).netloc

    def with_hint(self, message: str) -> str:
        """``message`` followed by the caller's advice, if any."""
        return message + (f" {self.hint}" if self.hint else "")


def _plan(
    url: str,
    *,
    method: str,
    params: Mapping[str, object] | None,
    data: Mapping[str, object] | None,
    timeout: float | None,
    deadline: float | None,
    validate: Callable[[bytes], object] | None,
    min_interval: float,
    service: str,
    hint: str,
) -> _Plan:
    """The URL, body, headers and limits of a request (settings fill what is not given)."""
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
    return _Plan(
        url=url, method=method, full_url=full_url, body=body, headers=headers,
        per_try=float(settings.timeout if timeout is None else timeout),
        allowed=float(settings.deadline if deadline is None else deadline),
        tries=max(1, int(settings.max_tries)), min_interval=min_interval,
        validate=validate, service=service, hint=hint,
    )  # fmt: skip


def _send_with_retries(plan: _Plan) -> tuple[bytes, object]:
    """Try ``plan`` until an answer passes, or raise the :class:`NetworkError` that says why
    not; returns the body and what ``validate`` made of it."""
    started = time.monotonic()
    last = "no try was made"
    made = 0
    stop = ""
    for attempt in range(1, plan.tries + 1):
        if plan.allowed - (time.monotonic() - started) <= 0:
            stop = f"the deadline of {plan.allowed:g} s passed"
            break
        made += 1
        try:
            return _try_once(plan, started)
        except _RefusedError as refused:
            raise _refused_error(plan, refused) from refused
        except _RetryableError as failure:
            last = str(failure)
            if attempt == plan.tries:
                break
            pause = _pause_before(failure, attempt)
            if pause >= plan.allowed - (time.monotonic() - started):
                stop = (f"the next try would start after the deadline of {plan.allowed:g} s "
                        f"(a pause of {pause:g} s was due)")
                break
            logger.info(  # the final error or the caller's warning says it all
                "%s: try %d of %d failed (%s); trying again in %.1f s",
                plan.url, attempt, plan.tries, last, pause,
            )  # fmt: skip
            time.sleep(pause)
    raise _gave_up_error(plan, made=made, stop=stop, last=last)


def _try_once(plan: _Plan, started: float) -> tuple[bytes, object]:
    """One try in this host's turn, within what is left of the deadline, then validated;
    :class:`_RetryableError` for an answer that cannot be used."""
    req = urllib.request.Request(plan.full_url, data=plan.body, headers=plan.headers,
                                 method=plan.method)
    with polite_turn(plan.host, plan.min_interval, until=started + plan.allowed):
        left = plan.allowed - (time.monotonic() - started)
        content = _once(req, max(0.001, min(plan.per_try, left)))
    if plan.validate is None:
        return content, None
    try:
        return content, plan.validate(content)
    except ValueError as exc:
        raise _RetryableError(f"the answer could not be used: {exc}") from exc


def _pause_before(failure: _RetryableError, attempt: int) -> float:
    """Seconds to wait before the next try: the server's ``Retry-After``, else the back-off
    doubled at every try."""
    if failure.retry_after is not None:
        return failure.retry_after
    return float(settings.backoff) * 2 ** (attempt - 1)


def _refused_error(plan: _Plan, refused: _RefusedError) -> NetworkError:
    """The error for an answer not worth another try."""
    if refused.status is not None:
        message = (f"{plan.service} at {plan.url} answered {refused}. This is not worth "
                   "retrying: check the request and the endpoint URL.")
    else:
        reason = str(refused)
        message = (f"request to {plan.service} at {plan.url} failed: {reason}"
                   + ("" if reason.endswith(("?", ".")) else "."))
    error = NetworkError(plan.with_hint(message))
    error.status = refused.status
    return error


def _gave_up_error(plan: _Plan, *, made: int, stop: str, last: str) -> NetworkError:
    """The error after the last try or at the deadline: what failed and what to do."""
    advice = (
        f"Try again later, allow more time (settings.timeout is {plan.per_try:g} s a try, "
        f"settings.deadline {plan.allowed:g} s in all; --timeout, CAMERA_MAP_TIMEOUT, "
        "CAMERA_MAP_DEADLINE), or use another endpoint."
    )
    tried = f"{made} {'try' if made == 1 else 'tries'}"
    return NetworkError(plan.with_hint(
        f"{plan.service} at {plan.url} failed after {tried}"
        + (f" ({stop})" if stop else "")
        + f"; last failure: {last}. {advice}"
    ))  # fmt: skip


def _store(
    path: Path,
    answer: Response,
    *,
    method: str,
    params: Mapping[str, object] | None,
    data: Mapping[str, object] | None,
) -> None:
    """Write a body and a small description of its request (with its date) into the cache."""
    try:
        write_bytes_atomic(path, answer.body)
        meta = {
            "url": answer.url,
            "method": method,
            "params": {str(k): str(v) for k, v in (params or {}).items()},
            "data": {str(k): str(v) for k, v in (data or {}).items()},
            "fetched": answer.fetched.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        write_text_atomic(
            path.with_suffix(".json"), json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
        )
    except OSError as exc:  # a cache we cannot write must not lose the answer
        logger.warning("could not write the HTTP cache at %s: %s", path, exc)
