"""Page safety: inert text, JSON for scripts and a Content-Security-Policy for every saved page.

Not disclosure control (that is :mod:`routes.privacy` and :mod:`routes.publish`): what this module
guarantees is that a string from a case export stays text in a published page, whatever layer of
HTML, JavaScript or template it lands in, and that a saved page runs no script it did not ship with.

- :func:`escape_text`: any value as inert text (numeric entities for everything outside
  ``[A-Za-z0-9 ]``);
- :func:`safe_json`: JSON that can sit inside ``<script>`` and survive a second template pass;
- :func:`content_security_policy`, :func:`with_csp`: a strict hash-based policy as the first child of
  ``<head>``;
- :func:`scan_page`, :func:`page_violations`: what a published page holds and what makes it unsafe
  (the publish check of :func:`routes.privacy.check_publishable` reads it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from routes.errors import DisclosureError, PolicyError

if TYPE_CHECKING:
    from pandas._typing import Scalar

__all__ = [
    "PageScan",
    "content_security_policy",
    "csp_hash",
    "escape_text",
    "page_violations",
    "parse_csp",
    "safe_json",
    "scan_page",
    "with_csp",
]

_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9 ]")
_REPLACEMENT = "&#65533;"


def _entity(match: re.Match[str]) -> str:
    char = match.group()
    point = ord(char)
    unrepresentable = (
        (unicodedata.category(char) == "Cc" and char not in "\t\n\r")
        or 0xD800 <= point <= 0xDFFF or 0xFDD0 <= point <= 0xFDEF or (point & 0xFFFE) == 0xFFFE
    )
    return _REPLACEMENT if unrepresentable else f"&#{point};"


def escape_text(value: object) -> str:
    """Make any value inert text for HTML, JS strings and JS template literals (OWASP rule #1, stricter).

    Every character outside ``[A-Za-z0-9 ]`` becomes a decimal numeric entity (``<`` → ``&#60;``,
    ``$`` → ``&#36;``, ``é`` → ``&#233;``, an emoji → ``&#128512;``), so the result holds no quote,
    backslash, backtick, ``$``, ``{``, ``<`` or ``&`` other than in an entity, whichever of those layers
    folium or Leaflet puts it in; browsers render the entities as the original text. Control characters
    HTML cannot carry (other than tab, newline, carriage return), lone surrogates and non-characters
    become U+FFFD. ``None`` and missing values give ``""``.
    """
    if value is None or (
        # pandas-stubs: is_scalar is no type guard, so pd.isna is told the value is a pandas Scalar
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(cast("Scalar", value))
    ):
        return ""
    return _UNSAFE_CHAR.sub(_entity, str(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp | pd.Period):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def safe_json(obj: Any) -> str:
    """JSON that can sit inside a ``<script>`` block or an HTML attribute (OWASP rule #3.1).

    ``json.dumps`` with ``ensure_ascii`` (which already escapes U+2028 and U+2029), then ``<``, ``>``,
    ``&`` and ``'`` as ``\\u`` escapes so no ``</script>`` or entity can form, and braces inside strings
    too, so a template engine that renders the page again (branca renders a map's scripts through
    Jinja) finds no ``{{ }}`` to evaluate. NaN is refused (it is not JSON): give missing values as
    None. numpy scalars, timestamps and pandas missing values are converted.
    """
    text = json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_json_default)
    text = _JSON_STRING.sub(lambda m: m.group(0).replace("{", "\\u007b").replace("}", "\\u007d"), text)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass
class PageScan:
    """What a page holds: inline scripts and styles (as the browser hashes them), style attributes,
    inline handlers and CSP metas with their positions."""

    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)
    handlers: list[tuple[str, str, int]] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    csp_position: int = -1
    first_script_position: int = 1 << 62


class _PageParser(HTMLParser):
    """Collects inline scripts and styles (raw text, as the browser hashes it), attributes and CSP metas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scan = PageScan()
        self._inline: str | None = None
        self._buffer: list[str] = []
        self._elements = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._elements += 1
        values = dict(attrs)
        for attr, value in attrs:
            if attr.startswith("on"):
                self.scan.handlers.append((tag, attr, self.getpos()[0]))
            elif attr == "style" and value:
                self.scan.style_attributes.append(value)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.scan.csp.append(values.get("content") or "")
            if self.scan.csp_position < 0:
                self.scan.csp_position = self._elements
        if tag == "script":
            self.scan.first_script_position = min(self.scan.first_script_position, self._elements)
            if "src" not in values:
                self._inline, self._buffer = "script", []
        elif tag == "style":
            self._inline, self._buffer = "style", []

    def handle_data(self, data: str) -> None:
        if self._inline:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._inline == tag:
            (self.scan.scripts if tag == "script" else self.scan.styles).append("".join(self._buffer))
            self._inline = None


def scan_page(page: str) -> PageScan:
    """Parse ``page`` as the browser will (newlines normalised first) into a :class:`PageScan`."""
    parser = _PageParser()
    parser.feed(page.replace("\r\n", "\n").replace("\r", "\n"))  # the browser normalises newlines first
    parser.close()
    return parser.scan


def csp_hash(source: str) -> str:
    """The CSP source expression (``'sha256-...'``) that allows this inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def parse_csp(policy: str) -> dict[str, tuple[str, ...]]:
    """Directive name → its sources; the first of a repeated directive wins, as in browsers."""
    directives: dict[str, tuple[str, ...]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tuple(tokens[1:]))
    return directives


_BAD_SOURCE = re.compile(r"[\s;,\"<>]|^\*$|^'unsafe-(inline|eval)'$|^'unsafe-hashes'$", re.IGNORECASE)


def _sources(name: str, sources: Iterable[str]) -> list[str]:
    sources = list(sources)
    bad = [s for s in sources if not s or _BAD_SOURCE.search(s)]
    if bad:
        raise PolicyError(f"{name}: refused sources {bad}; give hosts or URLs (https://tile.example.org), "
                          "'self' or data:, never '*', 'unsafe-inline' or 'unsafe-eval'")
    return sources


def content_security_policy(html: str, *, connect_src: Iterable[str] = (),
                            img_src: Iterable[str] = ("data:",), extra_script_src: Iterable[str] = (),
                            extra_style_src: Iterable[str] = (), font_src: Iterable[str] = (),
                            allow_style_attributes: bool = False) -> str:
    """A strict Content-Security-Policy for a saved page: hashes, no ``'unsafe-inline'``.

    Every inline ``<script>`` and ``<style>`` block is allowed by its sha256 hash; everything else is
    denied unless listed: ``default-src 'none'``, ``object-src 'none'``, ``base-uri 'none'``,
    ``form-action 'none'``. External scripts and stylesheets (a CDN, a tile server) must be named in
    ``extra_script_src`` / ``extra_style_src`` / ``img_src``. The hashes cover the page *as it is now*:
    compute the policy last, after every user string has been escaped. What it stops is markup that
    arrives later, such as an ``onerror`` smuggled through a popup's innerHTML.

    ``style="..."`` attributes are blocked by such a policy (Leaflet's styles set from JavaScript are
    not). ``allow_style_attributes=True`` allows each distinct attribute value present by its hash with
    ``'unsafe-hashes'`` (CSP level 3); attributes added later stay blocked.

    Raises
    ------
    DisclosureError
        When the page has inline event-handler attributes (``onclick=``...), which a hash cannot allow
        without ``'unsafe-hashes'`` for scripts.
    PolicyError
        When a listed source is a wildcard, ``'unsafe-inline'``, ``'unsafe-eval'`` or malformed.
    """
    scan = scan_page(html)
    if scan.handlers:
        raise DisclosureError("the HTML page", [
            f"inline event handler {attr}= on <{tag}> (line {line}) cannot be allowed by a hash; attach "
            "handlers from a script" for tag, attr, line in scan.handlers])
    scripts = list(dict.fromkeys(map(csp_hash, scan.scripts)))
    styles = list(dict.fromkeys(map(csp_hash, scan.styles)))
    if allow_style_attributes and scan.style_attributes:
        styles += ["'unsafe-hashes'", *dict.fromkeys(map(csp_hash, scan.style_attributes))]
    script_src = scripts + _sources("extra_script_src", extra_script_src)
    style_src = styles + _sources("extra_style_src", extra_style_src)
    directives = {
        "default-src": ["'none'"],
        "script-src": script_src or ["'none'"],
        "style-src": style_src or ["'none'"],
        "img-src": _sources("img_src", img_src) or ["'none'"],
        "font-src": _sources("font_src", font_src) or ["'none'"],
        "connect-src": _sources("connect_src", connect_src) or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


_CSP_META = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?content-security-policy[\"']?[^>]*>\s*",
                       re.IGNORECASE)
_HEAD = re.compile(r"<head(?=[\s>])[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html(?=[\s>])[^>]*>", re.IGNORECASE)


def with_csp(html: str, **kw: Any) -> str:
    """``html`` with a CSP meta element as the first child of ``<head>`` (any older CSP meta removed).

    Keyword arguments go to :func:`content_security_policy`. A page without ``<head>`` gets one.
    ``frame-ancestors``, ``report-uri`` and ``sandbox`` are ignored in a meta element, so none is set.
    """
    page = _CSP_META.sub("", html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(page, **kw)}">'
    head = _HEAD.search(page)
    if head:
        return page[:head.end()] + meta + page[head.end():]
    root = _HTML.search(page)
    at = root.end() if root else 0
    return page[:at] + f"<head>{meta}</head>" + page[at:]


def page_violations(page: str) -> list[str]:
    """What makes a saved page unsafe to publish: inline event handlers, a missing or late CSP meta,
    'unsafe-inline' or 'unsafe-eval', inline scripts the policy does not hash, objects or a base URI."""
    scan = scan_page(page)
    violations = [f"inline event handler {attr}= on <{tag}> (line {line}): a CSP cannot allow it; "
                  "attach handlers from a script" for tag, attr, line in scan.handlers]
    if not scan.csp:
        return [*violations, "no Content-Security-Policy meta element"]
    if scan.csp_position > scan.first_script_position:
        violations.append("the Content-Security-Policy meta comes after a script; make it the first "
                          "child of <head>")
    directives = parse_csp(scan.csp[-1])
    for source in ("'unsafe-inline'", "'unsafe-eval'"):
        if any(source in sources for sources in directives.values()):
            violations.append(f"the Content-Security-Policy allows {source}")
    script_src = directives.get("script-src", directives.get("default-src", ()))
    missing = [h for h in map(csp_hash, scan.scripts) if h not in script_src]
    if missing:
        violations.append(f"{len(missing)} inline script(s) not hashed in script-src (e.g. {missing[0]})")
    if directives.get("object-src", directives.get("default-src")) != ("'none'",):
        violations.append("object-src is not 'none'")
    if directives.get("base-uri") != ("'none'",):
        violations.append("base-uri is not 'none'")
    return violations
