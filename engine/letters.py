"""Letters produced from a pathway's templates: offered, previewed, recorded on the case, read back.

What a pathway offers is its manifest's ``letters:`` (:mod:`engine.letter_specs`); the template is
chosen by the value of a case field the manifest names, and written in the restricted template
language of :mod:`engine.letter_templates` with these names:

- every field of the case's data (names starting with ``_`` are hidden);
- ``case``: the engine's case record (``reference``, ``pathway``, ``version``, ``started_at``...);
- ``settings``: the pathway version's settings;
- ``today``: the letter's date (the case's clock, as a date in UK time);
- ``author``: the name of the person producing the letter (who signs it).

These four are the engine's: a case field with one of their names is hidden by them.

Recording stores the exact text with the template, the pathway version, the case version it was
written from, a SHA-256 of the text, who and when, and appends an audit event on the case's chain,
in one transaction. It is guarded by the case's ``row_version`` the preview was made from, and
optionally by the preview's hash, so a case or letter that changed since the preview is a conflict,
never a silently different letter. Recording the same text again returns the letter already
recorded (a double click records one letter).

Nothing here deserializes a workflow: letters read the case row's data.
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from . import audit, clock as clockmod, letter_templates, sandbox, versions
from .access import readable_case
from .errors import (ConflictError, ExpressionError, LetterNotFoundError, LetterNotReadyError,
                     PermissionDeniedError, StaleCaseError)
from .models import Case, Letter, PathwayVersion
from .runtime import Runtime
from .views import Actor, CaseLettersView, LetterOfferView, LetterView, letter_text

def case_letters(rt: Runtime, case_id: int, actor: Actor) -> CaseLettersView:
    """The letters the case's pathway declares (available now or not) and those recorded on the case.

    Raises:
        CaseNotFoundError: no such case.
        PermissionDeniedError: the actor may not read the case.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        version = session.get(PathwayVersion, case.version_id)
        data = _data(case)
        offers = []
        for spec in _manifest_letters(session, rt, case.version_id):
            available, reason = _available(rt, case, spec, data)
            template, _ = spec.template_for(data)
            offers.append(LetterOfferView(key=spec.key, title=spec.title, description=spec.description,
                                          available=available, may_produce=_may_produce(actor, spec, version),
                                          template=template, reason=reason))
        rows = session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)).all()
        recorded = tuple(_view(case, row, version.number) for row in rows)
    return CaseLettersView(tuple(offers), recorded)


def preview(rt: Runtime, case_id: int, key: str, actor: Actor) -> LetterView:
    """The letter as it would be recorded now (``id`` None); nothing is stored.

    Raises:
        CaseNotFoundError, LetterNotFoundError: no such case, or its pathway has no letter ``key``.
        PermissionDeniedError: the actor may not read the case or holds none of the letter's roles.
        LetterNotReadyError: the letter's ``available_when`` does not hold for the case now.
        LetterTemplateError: the template cannot be written for this case.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        spec, version = _producible(session, rt, case, key, actor)
        return _compose(session, rt, case, spec, version, actor)


def record(rt: Runtime, case_id: int, key: str, actor: Actor, *, expected_version: int,
           expected_hash: str | None = None) -> LetterView:
    """Write the letter and record it on the case (text, template, version, hash, who, when; audit event).

    Args:
        expected_version: The case's ``row_version`` the preview was made from.
        expected_hash: The preview's ``content_hash``; when given, a different letter is refused.

    Raises:
        CaseNotFoundError, LetterNotFoundError, PermissionDeniedError, LetterNotReadyError,
        LetterTemplateError: as :func:`preview`.
        StaleCaseError: the case changed since ``expected_version``.
        ConflictError: the letter differs from the preview (``expected_hash``), e.g. the date moved on.
    """
    with rt.db.transaction() as session:
        # The row lock orders this audit append after any other writer of the case (as claiming does).
        case = readable_case(session, case_id, actor, lock=True)
        spec, version = _producible(session, rt, case, key, actor)
        if case.row_version != expected_version:
            raise StaleCaseError(f"case {case.reference or case.id} changed since the letter was previewed "
                                 f"(version {case.row_version}, not {expected_version}); preview it again")
        letter = _compose(session, rt, case, spec, version, actor)
        if expected_hash is not None and expected_hash != letter.content_hash:
            raise ConflictError("the letter is no longer the one previewed (the date or the case has moved on); "
                                "preview it again")
        same = session.scalars(sa.select(Letter).where(Letter.case_id == case.id, Letter.letter_key == key,
                                                       Letter.content_hash == letter.content_hash)
                               .order_by(Letter.id).limit(1)).first()
        if same is not None:
            return _view(case, same, letter.version_number)
        now = rt.now()
        row = Letter(case_id=case.id, letter_key=key, title=letter.title, version_id=case.version_id,
                     template=letter.template, case_row_version=case.row_version, letter_date=letter.letter_date,
                     sender_json=json.dumps(list(letter.sender)), body=letter.body,
                     footer_json=json.dumps(list(letter.footer)), content_hash=letter.content_hash,
                     created_at=now, created_by_id=actor.user_id, created_by_name=actor.username)
        session.add(row)
        session.flush()
        audit.append(session, chain=f"case:{case.id}", case_id=case.id, at=now, actor_id=actor.user_id,
                     actor_name=actor.username, action="letter_recorded",
                     summary=f"recorded '{letter.title}' ({letter.template}, pathway version {letter.version_number})",
                     after={"letter_id": row.id, "key": key, "template": letter.template,
                            "version": letter.version_number, "letter_date": letter.letter_date.isoformat(),
                            "content_hash": letter.content_hash})
        return _view(case, row, letter.version_number)


def get_letter(rt: Runtime, case_id: int, letter_id: int, actor: Actor) -> LetterView:
    """A letter recorded on the case, as it was recorded.

    Raises:
        CaseNotFoundError, LetterNotFoundError: no such case, or no such letter on it.
        PermissionDeniedError: the actor may not read the case.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        row = session.get(Letter, letter_id) if isinstance(letter_id, int) and 0 < letter_id < 2**31 else None
        if row is None or row.case_id != case.id:
            raise LetterNotFoundError(f"case {case.reference} has no letter {letter_id}")
        number = session.scalar(sa.select(PathwayVersion.number).where(PathwayVersion.id == row.version_id))
        return _view(case, row, number)


# -- internals ---------------------------------------------------------------------------------------

def _data(case: Case) -> dict:
    data = json.loads(case.data_json or "{}")
    return {k: v for k, v in data.items() if isinstance(k, str) and not k.startswith("_")}


def _manifest_letters(session, rt: Runtime, version_id: int) -> tuple:
    manifest = versions.manifest(session, version_id, rt)
    return manifest.letters if manifest is not None else ()


def _spec(session, rt: Runtime, case: Case, key: str):
    spec = next((s for s in _manifest_letters(session, rt, case.version_id) if s.key == key), None)
    if spec is None:
        raise LetterNotFoundError(f"the pathway of case {case.reference} has no letter {key!r}")
    return spec


def _case_clock(rt: Runtime, case: Case):
    return rt.case_clock(case.clock_offset_seconds, case.clock_frozen_at)


def _available(rt: Runtime, case: Case, spec, data: dict) -> tuple[bool, str]:
    """Whether ``available_when`` holds; a name the case does not have yet means "not yet"."""
    if not spec.available_when:
        return True, ""
    try:
        with clockmod.using(_case_clock(rt, case)):
            value = sandbox.evaluate(spec.available_when, dict(data), time_limit=rt.expression_time_limit)
    except ExpressionError as exc:
        return False, str(exc)
    return bool(value), "" if value else f"{spec.available_when} is not true for this case"


def _may_produce(actor: Actor, spec, version: PathwayVersion) -> bool:
    roles = set(spec.roles) or set(json.loads(version.roles_json or "[]"))
    return bool(roles & set(actor.roles))


def _producible(session, rt: Runtime, case: Case, key: str, actor: Actor) -> tuple:
    """The letter's spec and the case's version, if the actor (a reader of the case) may produce it.

    Raises: LetterNotFoundError, PermissionDeniedError.
    """
    spec = _spec(session, rt, case, key)
    version = session.get(PathwayVersion, case.version_id)
    if not _may_produce(actor, spec, version):
        roles = ", ".join(spec.roles or json.loads(version.roles_json or "[]"))
        raise PermissionDeniedError(f"producing '{spec.title}' needs one of the roles {roles}, which "
                                    f"{actor.username} does not hold")
    return spec, version


def _compose(session, rt: Runtime, case: Case, spec, version: PathwayVersion, actor: Actor) -> LetterView:
    """Write the letter for the case as it stands.

    Raises: LetterNotReadyError, LetterTemplateError.
    """
    data = _data(case)
    available, reason = _available(rt, case, spec, data)
    if not available:
        raise LetterNotReadyError(f"'{spec.title}' cannot be produced for case {case.reference} now ({reason})")
    template, _value = spec.template_for(data)
    source = versions.file_text(session, case.version_id, template, rt) if template else None
    if source is None:
        raise LetterNotReadyError(f"'{spec.title}' has no template for this case")
    letter_date = _case_clock(rt, case).now().astimezone(clockmod.LOCAL_ZONE).date()
    settings = json.loads(version.settings_json or "{}")
    context = {**data, "case": {**(data.get("case") if isinstance(data.get("case"), dict) else {}),
                                "reference": case.reference or ""},
               "settings": settings, "today": letter_date, "author": actor.display_name or actor.username}
    body = letter_templates.render(source, context, time_limit=rt.expression_time_limit, template=template)
    text = letter_text(spec.sender, letter_date, case.reference or "", body, spec.footer)
    return LetterView(case_id=case.id, case_reference=case.reference or "", key=spec.key, title=spec.title,
                      template=template, version_number=version.number, case_row_version=case.row_version,
                      letter_date=letter_date, sender=spec.sender, body=body, footer=spec.footer,
                      content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _view(case: Case, row: Letter, version_number: int) -> LetterView:
    return LetterView(case_id=case.id, case_reference=case.reference or "", key=row.letter_key, title=row.title,
                      template=row.template, version_number=version_number, case_row_version=row.case_row_version,
                      letter_date=row.letter_date, sender=tuple(json.loads(row.sender_json)), body=row.body,
                      footer=tuple(json.loads(row.footer_json)), content_hash=row.content_hash, id=row.id,
                      recorded_at=row.created_at, recorded_by=row.created_by_name)
