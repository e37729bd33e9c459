"""KoboToolbox and ODK exports read with their XLSForm, so a field office's form maps once.

An export's headers are the form's question names with their group path (``perfil/sexo``, the
"XML values and headers" export) or its labels (``Sexo``, the "labels" export); its values are the
choices' names (``f``, and ``extorsion amenazas`` for a ``select_multiple``, space-separated) or
their labels. :func:`form_mapping` reads the XLSForm with pyxform (the reference XLSForm parser) and
writes one mapping for every spelling an export of that form can use: each question placed on a
field of the case data standard by its name, its labels or its choices, and each choice, by its
name and its labels, on a code of the field's vocabulary. What it cannot place is listed, never
guessed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routes._tables import FIELDS, field_keys, header_key
from routes.errors import CaseDataError
from routes.mapping import SuggestedMapping
from routes.schema import UNKNOWN, Field, Kind

__all__ = ["KOBO_METADATA", "form_mapping"]

_TABLES = ("cases", "events")
#: Columns every Kobo export adds: read as nothing (a submission's metadata is not case data).
KOBO_METADATA = ("_id", "_uuid", "_submission_time", "_index", "_validation_status", "_notes", "_status",
                 "_submitted_by", "__version__", "_tags", "_xform_id_string", "_attachments", "_geolocation",
                 "meta/instanceID", "meta/rootUuid", "meta/deprecatedID", "instanceID", "start", "end",
                 "today", "deviceid", "username", "formhub/uuid")
_SELECTS = {"select one": Kind.CATEGORY, "select all that apply": Kind.MULTI}
_VOCABULARY_SHARE = 0.6  # share of a question's choices a vocabulary must read to place it by choices


@dataclass(frozen=True)
class _Question:
    path: str                     # group/…/name, as the XML export writes it
    name: str
    type: str
    labels: tuple[str, ...]       # every language
    choices: tuple[tuple[str, tuple[str, ...]], ...]  # (name, labels)


def form_mapping(form: str | os.PathLike[str]) -> SuggestedMapping:
    """A mapping for exports of the XLSForm ``form`` (XLSX, XLS or CSV form), from its questions.

    Parameters
    ----------
    form : path
        The XLSForm the export was collected with (``survey``, ``choices`` and ``settings`` sheets).

    Returns
    -------
    SuggestedMapping
        ``columns`` for each placed question under its XML path, its name and each label; ``values``
        for its choices under their names and labels; ``separators`` (a space) for the XML path of a
        ``select_multiple``; Kobo's metadata columns mapped to null; notes on what was not placed.

    Raises
    ------
    CaseDataError
        When pyxform cannot read the form.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    path = Path(form)
    try:
        survey = parse_file_to_json(str(path))
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise CaseDataError(f"{path.name}: not a readable XLSForm ({exc})") from exc
    out = SuggestedMapping({"columns": {}, "values": {}}, file=path.name)
    columns, values = out.mapping["columns"], out.mapping["values"]
    for header in KOBO_METADATA:
        columns[header] = None
        out.notes[("columns", header)] = "Kobo metadata: ignored"
    keys = {t: field_keys(t) for t in _TABLES}
    for question in _questions(survey.get("children", []), ""):
        names = _place(question, keys)
        if not names:
            if question.type not in ("note", "calculate", "group", "repeat"):
                columns[question.path] = None
                out.notes[("columns", question.path)] = (f"question {question.name!r}: no field of the "
                                                         "standard")
            continue
        target: str | list[str] = names[0] if len(names) == 1 else names
        for header in dict.fromkeys((question.path, question.name, *question.labels)):
            columns[header] = target
            out.notes[("columns", header)] = f"question {question.name!r} ({question.type})"
        if question.type == "select all that apply":
            out.mapping.setdefault("separators", {})[question.path] = [" "]
            out.notes[("separators", question.path)] = "select_multiple: choice names, space-separated"
        for name in names:
            _choice_values(out, values, name, question)
    if not values:
        del out.mapping["values"]
    return out


def _questions(children: list[Mapping[str, Any]], prefix: str) -> Iterator[_Question]:
    for child in children:
        name = str(child.get("name", ""))
        if child.get("type") in ("group", "repeat"):
            if name != "meta":
                yield from _questions(child.get("children", []), f"{prefix}{name}/")
            continue
        choices = tuple((str(c.get("name", "")), _labels(c.get("label"))) for c in child.get("choices") or ())
        yield _Question(f"{prefix}{name}", name, str(child.get("type", "")), _labels(child.get("label")),
                        choices)


def _labels(label: object) -> tuple[str, ...]:
    if isinstance(label, Mapping):
        return tuple(str(v).strip() for v in label.values() if str(v).strip())
    return (str(label).strip(),) if label else ()


def _place(question: _Question, keys: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Fields (one per table at most) a question feeds: by its name or labels, else by its choices."""
    found: dict[str, str] = {}
    for spelling in (question.name, *question.labels):
        for table in _TABLES:
            name = keys[table].get(header_key(spelling))
            if name is not None:
                found.setdefault(table, name)
    if not found and question.type in _SELECTS and question.choices:
        for table in _TABLES:
            for f in FIELDS[table]:
                if f.vocab is not None and f.kind is _SELECTS[question.type] and _reads(f, question):
                    found.setdefault(table, f.name)
    return list(dict.fromkeys(found.values()))


def _reads(f: Field, question: _Question) -> bool:
    """Whether the field's vocabulary reads most of the question's choices (by name or label)."""
    assert f.vocab is not None
    known = sum(_code(f, name, labels) is not None for name, labels in question.choices)
    return known >= _VOCABULARY_SHARE * len(question.choices) and known > 0


def _code(f: Field, name: str, labels: tuple[str, ...]) -> str | None:
    assert f.vocab is not None
    for spelling in (*labels, name.replace("_", " ")):
        code = f.vocab.parse(spelling)
        if code is not None and code != UNKNOWN:
            return str(code)
    return None


def _choice_values(out: SuggestedMapping, values: dict[str, dict[str, str]], name: str,
                   question: _Question) -> None:
    f = next((f for t in _TABLES for f in FIELDS[t] if f.name == name), None)
    if f is None or f.vocab is None or not question.choices:
        return
    table = values.setdefault(name, {})
    for choice, labels in question.choices:
        code = _code(f, choice, labels)
        if code is None:
            out.unplaced_values.setdefault(name, []).append(choice)
            out.notes[("values", name, choice)] = (f"choice {choice!r} ({', '.join(labels)}): no "
                                                   f"{f.vocab.name} code found; map it by hand")
            continue
        for spelling in dict.fromkeys((choice, *labels)):
            table[spelling] = code
    if not table:
        del values[name]
